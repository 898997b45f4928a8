"""cerulean-tiling: georeferenced tiles and instance masks from annotated S1 scenes.

Typical use::

    from cerulean_tiling import TilingConfig, tile_scene
    result = tile_scene(Path("root/vessel/S1A_IW_GRDH_..."), TilingConfig(), out_dir=Path("tiles"))
    for tile in result.tiles:
        print(tile.name, tile.bounds, [i.class_id for i in tile.instances])
"""

from __future__ import annotations

__version__ = "0.1.0"

from cerulean_tiling.classes import CLASSES, PRESETS, RemapPreset, SlickClass
from cerulean_tiling.config import ChannelSpec, TilingConfig
from cerulean_tiling.download import DownloadResult, download_scenes
from cerulean_tiling.errors import CeruleanTilingError
from cerulean_tiling.gcps import GCPSet, read_gcps_from_raster, read_gcps_json
from cerulean_tiling.georef import Georeference
from cerulean_tiling.grid import TileGrid
from cerulean_tiling.pipeline import tile_scene
from cerulean_tiling.remote import read_remote_gcps
from cerulean_tiling.retry import RetryPolicy
from cerulean_tiling.run import RunSummary, tile_scenes
from cerulean_tiling.scene import SceneFolder, discover_scenes, open_scene
from cerulean_tiling.sceneid import SceneId, parse_scene_id
from cerulean_tiling.search import SceneRecord, search_scenes
from cerulean_tiling.types import Bounds, LayerReport, SceneTiling, TileInstance, TileRecord

__all__ = [
    "CLASSES",
    "PRESETS",
    "Bounds",
    "CeruleanTilingError",
    "ChannelSpec",
    "DownloadResult",
    "GCPSet",
    "Georeference",
    "LayerReport",
    "RemapPreset",
    "RetryPolicy",
    "RunSummary",
    "SceneFolder",
    "SceneId",
    "SceneRecord",
    "SceneTiling",
    "SlickClass",
    "TileGrid",
    "TileInstance",
    "TileRecord",
    "TilingConfig",
    "__version__",
    "discover_scenes",
    "download_scenes",
    "open_scene",
    "parse_scene_id",
    "read_gcps_from_raster",
    "read_gcps_json",
    "read_remote_gcps",
    "search_scenes",
    "tile_scene",
    "tile_scenes",
]
