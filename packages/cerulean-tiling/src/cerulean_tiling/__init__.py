"""cerulean-tiling: georeferenced tiles and instance masks from annotated S1 scenes.

Typical use::

    from cerulean_tiling import TilingConfig, tile_scene
    result = tile_scene(Path("root/vessel/S1A_IW_GRDH_..."), TilingConfig(), out_dir=Path("tiles"))
    for tile in result.tiles:
        print(tile.name, tile.bounds, [i.class_id for i in tile.instances])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cerulean_tiling.acquire.download import DownloadResult, download_scenes
from cerulean_tiling.acquire.remote import read_remote_gcps
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.acquire.s3 import S3Failure, classify_s3_error, s3_client, s3_session, split_s3
from cerulean_tiling.acquire.scene_list import ListedScene, read_scene_list
from cerulean_tiling.acquire.search import SceneRecord, search_scenes
from cerulean_tiling.atomic import (
    atomic_path,
    is_temp,
    json_text,
    link_or_copy,
    staged_folder,
    write_bytes,
    write_json,
    write_text,
)
from cerulean_tiling.channels import (
    CHANNELS,
    CONSTANT,
    INFRA_DISTANCE,
    VESSEL_DENSITY,
    VV,
    Channel,
    parse_channel,
    read_tile_channels,
    tile_bands,
)
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
from cerulean_tiling.errors import (
    AuxChannelError,
    CeruleanError,
    CeruleanTilingError,
    ChannelError,
    ClassNameError,
    ConfigError,
    FetchAuthError,
    FetchError,
    FileNameError,
    GCPError,
    GridError,
    JSONValueError,
    LayerColourError,
    LayerSizeError,
    MissingExtraError,
    OutputError,
    S3LocationError,
    SceneIdError,
    SceneNotFoundError,
    SceneReadError,
    TileReadError,
    UnsafePathError,
)
from cerulean_tiling.fingerprints import setting_differences, sha256_file
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
from cerulean_tiling.paths import path_inside, printable, safe_name, safe_relative, utf8_path
from cerulean_tiling.scenes.folder import SceneFolder, discover_scenes, open_scene
from cerulean_tiling.scenes.png import png_strips, read_png
from cerulean_tiling.scenes.sceneid import SceneId, parse_scene_id
from cerulean_tiling.settings import (
    Items,
    Settings,
    flag_message,
    key_error,
    load_settings,
    read_settings_file,
    save_settings,
)
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

if TYPE_CHECKING:
    from cerulean_tiling.cli.group import cli_group
    from cerulean_tiling.cli.options import (
        config_from_options,
        progress_option,
        show_progress,
        tiling_options,
        tqdm_disable,
    )
    from cerulean_tiling.cli.runner import configure_logging, run_group

# The CLI helpers that sibling packages build their commands with load click's command
# machinery, which library users (the serving service) should not pay for at import.
_CLI_HELPERS = {
    "cli_group": "cerulean_tiling.cli.group",
    "configure_logging": "cerulean_tiling.cli.runner",
    "run_group": "cerulean_tiling.cli.runner",
    "config_from_options": "cerulean_tiling.cli.options",
    "tiling_options": "cerulean_tiling.cli.options",
    "progress_option": "cerulean_tiling.cli.options",
    "show_progress": "cerulean_tiling.cli.options",
    "tqdm_disable": "cerulean_tiling.cli.options",
}


def __getattr__(name: str) -> Any:
    if name in _CLI_HELPERS:
        import importlib

        return getattr(importlib.import_module(_CLI_HELPERS[name]), name)
    raise AttributeError(f"module 'cerulean_tiling' has no attribute {name!r}")


__all__ = [
    "BACKGROUND",
    "CHANNELS",
    "CLASSES",
    "CONSTANT",
    "INFRA_DISTANCE",
    "PRESETS",
    "SERVING_TILE_SIZE",
    "VESSEL_DENSITY",
    "VV",
    "AuxChannelError",
    "Bounds",
    "CategoryLike",
    "CeruleanError",
    "CeruleanTilingError",
    "Channel",
    "ChannelError",
    "ChannelSpec",
    "ClassMap",
    "ClassNameError",
    "ConfigError",
    "DownloadResult",
    "FetchAuthError",
    "FetchError",
    "FileNameError",
    "GCPError",
    "GCPSet",
    "Georeference",
    "GridError",
    "InstanceEntry",
    "Items",
    "JSONValueError",
    "Lattice",
    "LayerColourError",
    "LayerReport",
    "LayerSizeError",
    "ListedScene",
    "MissingExtraError",
    "OutputError",
    "RemapPreset",
    "RetryPolicy",
    "RunSummary",
    "S3Failure",
    "S3LocationError",
    "SceneFolder",
    "SceneId",
    "SceneIdError",
    "SceneNotFoundError",
    "SceneReadError",
    "SceneRecord",
    "SceneTiling",
    "Settings",
    "SlickClass",
    "SyntheticScene",
    "TileEntry",
    "TileGrid",
    "TileInstance",
    "TileReadError",
    "TileRecord",
    "TileSpec",
    "TiledSceneRecord",
    "TilingConfig",
    "UnsafePathError",
    "Window",
    "__version__",
    "already_remapped",
    "atomic_path",
    "aux_channel",
    "by_id",
    "by_name",
    "class_raster",
    "classify_s3_error",
    "cli_group",
    "config_from_options",
    "configure_logging",
    "discover_scenes",
    "download_scenes",
    "flag_message",
    "grd_gcps",
    "is_temp",
    "json_text",
    "key_error",
    "link_or_copy",
    "load_settings",
    "metres_per_degree",
    "normalise_name",
    "open_scene",
    "parse_channel",
    "parse_scene_id",
    "parse_size",
    "path_inside",
    "png_strips",
    "preset",
    "printable",
    "progress_option",
    "read_gcps_from_raster",
    "read_gcps_json",
    "read_png",
    "read_remote_gcps",
    "read_scene_list",
    "read_settings_file",
    "read_tile_channels",
    "run_group",
    "s3_client",
    "s3_session",
    "safe_name",
    "safe_relative",
    "save_settings",
    "search_scenes",
    "setting_differences",
    "sha256_file",
    "show_progress",
    "split_s3",
    "staged_folder",
    "tile_bands",
    "tile_scene",
    "tile_scenes",
    "tiling_options",
    "tms_matrix",
    "tqdm_disable",
    "utf8_path",
    "warp_image",
    "warp_mask",
    "write_bytes",
    "write_json",
    "write_scenes",
    "write_synthetic_grd",
    "write_text",
    "write_tile",
]
