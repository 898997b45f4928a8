"""cerulean-tiling: georeferenced tiles and instance masks from annotated S1 scenes.

Typical use::

    from cerulean_tiling import TilingConfig, tile_scene
    result = tile_scene(Path("root/vessel/S1A_IW_GRDH_..."), TilingConfig(), out_dir=Path("tiles"))
    for tile in result.tiles:
        print(tile.name, tile.bounds, [i.class_id for i in tile.instances])

The names here are the domain: scenes, classes, georeferencing, grids, tiles, their
records, synthetic data and scene acquisition. The plumbing every Cerulean package
shares lives in public modules of its own, listed in :data:`PUBLIC_MODULES`:

- ``cerulean_tiling.arrays``: NumPy array type aliases named by element type.
- ``cerulean_tiling.atomic``: writing files and folders so no reader sees half of
  one (``write_bytes``, ``atomic_path``, ``staged_folder``).
- ``cerulean_tiling.jsonio``: JSON and GeoJSON in and out: the readers with one-line
  errors (``read_json``, ``read_json_object``, ``read_feature_collection``,
  ``read_geometries``) and the one encoder (``json_text``, ``write_json``).
- ``cerulean_tiling.channels``: model input channels (names, ``constant=V``
  parsing, ``read_tile_channels`` with the valid-pixel mask).
- ``cerulean_tiling.command_line``: the CLI scaffold (``cli_group``, ``run_group``,
  ``progress_option``) and ``cerulean_tiling.cli.options``: the tiling options
  commands that tile share.
- ``cerulean_tiling.errors``: the error tree, rooted at ``CeruleanError`` (every
  package's root derives from it; the two roots are also exported here).
- ``cerulean_tiling.fingerprints``: file hashes and settings differences for reruns.
- ``cerulean_tiling.lazy``: names a package exports but imports on first use.
- ``cerulean_tiling.paths``: paths named by data kept inside their folder; printable
  names from disk.
- ``cerulean_tiling.settings``: the settings layer every package's settings are built
  on (pydantic models refusing unknown keys, the TOML/YAML/JSON loader with one-line
  errors, the one saved form).
- ``cerulean_tiling.acquire.s3``: S3 clients, locations and error classification.
"""

from __future__ import annotations

from cerulean_tiling.acquire.download import DownloadResult, download_scenes
from cerulean_tiling.acquire.remote import read_remote_gcps
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.acquire.scene_list import ListedScene, read_scene_list
from cerulean_tiling.acquire.search import SceneRecord, search_scenes
from cerulean_tiling.classes import (
    BACKGROUND,
    CLASSES,
    PRESETS,
    RemapPreset,
    SlickClass,
    by_id,
    by_name,
    normalise_name,
    preset,
)
from cerulean_tiling.classmap import CategoryLike, ClassMap, already_remapped
from cerulean_tiling.config import ChannelSpec, TilingConfig
from cerulean_tiling.errors import CeruleanError, CeruleanTilingError
from cerulean_tiling.geo.gcps import (
    GCPSet,
    metres_per_degree,
    read_gcps_from_raster,
    read_gcps_json,
)
from cerulean_tiling.geo.georef import Georeference
from cerulean_tiling.geo.grid import (
    SERVING_TILE_SIZE,
    Lattice,
    TileGrid,
    TileSpec,
    Window,
    tms_matrix,
)
from cerulean_tiling.geo.warp import warp_image, warp_mask
from cerulean_tiling.scenes.folder import SceneFolder, discover_scenes, open_scene
from cerulean_tiling.scenes.png import png_strips, read_png
from cerulean_tiling.scenes.sceneid import SceneId, parse_scene_id
from cerulean_tiling.synthetic.grd import grd_gcps, write_synthetic_grd
from cerulean_tiling.synthetic.scenes import SyntheticScene, parse_size, write_scenes
from cerulean_tiling.tiles.aux_channels import aux_channel
from cerulean_tiling.tiles.pipeline import tile_scene
from cerulean_tiling.tiles.run import RunSummary, TiledSceneRecord, tile_scenes
from cerulean_tiling.tiles.writer import class_raster, write_tile
from cerulean_tiling.types import (
    Bounds,
    InstanceEntry,
    LayerReport,
    SceneTiling,
    TileEntry,
    TileInstance,
    TileRecord,
)
from cerulean_tiling.version import __version__

PUBLIC_MODULES = (
    "cerulean_tiling.acquire.s3",
    "cerulean_tiling.arrays",
    "cerulean_tiling.atomic",
    "cerulean_tiling.channels",
    "cerulean_tiling.cli.options",
    "cerulean_tiling.command_line",
    "cerulean_tiling.errors",
    "cerulean_tiling.fingerprints",
    "cerulean_tiling.jsonio",
    "cerulean_tiling.lazy",
    "cerulean_tiling.paths",
    "cerulean_tiling.settings",
)
"""The modules beyond this one that other packages may import names from (each
module's own ``__all__``); everything else is internal and may move."""

__all__ = [
    "BACKGROUND",
    "CLASSES",
    "PRESETS",
    "PUBLIC_MODULES",
    "SERVING_TILE_SIZE",
    "Bounds",
    "CategoryLike",
    "CeruleanError",
    "CeruleanTilingError",
    "ChannelSpec",
    "ClassMap",
    "DownloadResult",
    "GCPSet",
    "Georeference",
    "InstanceEntry",
    "Lattice",
    "LayerReport",
    "ListedScene",
    "RemapPreset",
    "RetryPolicy",
    "RunSummary",
    "SceneFolder",
    "SceneId",
    "SceneRecord",
    "SceneTiling",
    "SlickClass",
    "SyntheticScene",
    "TileEntry",
    "TileGrid",
    "TileInstance",
    "TileRecord",
    "TileSpec",
    "TiledSceneRecord",
    "TilingConfig",
    "Window",
    "__version__",
    "already_remapped",
    "aux_channel",
    "by_id",
    "by_name",
    "class_raster",
    "discover_scenes",
    "download_scenes",
    "grd_gcps",
    "metres_per_degree",
    "normalise_name",
    "open_scene",
    "parse_scene_id",
    "parse_size",
    "png_strips",
    "preset",
    "read_gcps_from_raster",
    "read_gcps_json",
    "read_png",
    "read_remote_gcps",
    "read_scene_list",
    "search_scenes",
    "tile_scene",
    "tile_scenes",
    "tms_matrix",
    "warp_image",
    "warp_mask",
    "write_scenes",
    "write_synthetic_grd",
    "write_tile",
]
