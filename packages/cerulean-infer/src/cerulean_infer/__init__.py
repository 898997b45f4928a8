"""cerulean-infer: run slick detectors over whole Sentinel-1 scenes, to GeoJSON polygons.

What this package imports at load time decides how fast a service that imports it
starts: torch, onnxruntime and dask are imported where they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cerulean_infer.bundle import BundleManifest, Runtime
from cerulean_infer.errors import (
    BundleError,
    CeruleanInferError,
    ChannelMismatchError,
    MissingExtraError,
    ModelLoadError,
    OutputError,
    SceneError,
)
from cerulean_infer.postprocess import (
    feature_collection,
    join_fragments,
    label_regions,
    merge_instances,
    merge_tilesets_serving,
    polygon_nms,
    read_geojson,
    region_boxes,
    serving_tile_slicks,
    serving_tileset_slicks,
    tile_instances,
    unet_slicks,
    write_geojson,
)
from cerulean_infer.presets import PRESETS, PostprocessPreset
from cerulean_infer.reclassify import (
    LAND,
    LAND_DISTANCE_M,
    NOT_OIL,
    SEA_ICE,
    STORED_CLASS,
    STORED_PARENT,
    SeaIce,
    read_polygons,
    read_sea_ice,
    reclassify_slicks,
)
from cerulean_infer.records import InstancePrediction, PlacedInstance, Slick, TilePredictions
from cerulean_infer.serving_row import ServingRow
from cerulean_infer.version import __version__
from cerulean_infer.weights import load_state_file
from cerulean_tiling.lazy import lazy_attributes

if TYPE_CHECKING:
    from cerulean_infer.cli.options import (
        device_options,
        model_options,
        parse_thresholds,
        postprocess_options,
    )
    from cerulean_infer.description import ModelDescription, describe_model
    from cerulean_infer.merging import MergedScene, merge_scene, tiles_plan
    from cerulean_infer.predictor import Predictor
    from cerulean_infer.scene import SceneResult, predict_scene, scene_batches
    from cerulean_infer.service_tiles import ServiceTile, service_tilesets
    from cerulean_infer.tilesets import PlacedTile, TilePlan, model_lattice

# The prediction machinery pulls in shapely, rasterio and (when a model loads) torch;
# a service that only reads bundle descriptions should not pay for it at import.
_LAZY = {
    "Predictor": "cerulean_infer.predictor",
    "ModelDescription": "cerulean_infer.description",
    "describe_model": "cerulean_infer.description",
    "SceneResult": "cerulean_infer.scene",
    "predict_scene": "cerulean_infer.scene",
    "scene_batches": "cerulean_infer.scene",
    "MergedScene": "cerulean_infer.merging",
    "merge_scene": "cerulean_infer.merging",
    "tiles_plan": "cerulean_infer.merging",
    "PlacedTile": "cerulean_infer.tilesets",
    "TilePlan": "cerulean_infer.tilesets",
    "model_lattice": "cerulean_infer.tilesets",
    "ServiceTile": "cerulean_infer.service_tiles",
    "service_tilesets": "cerulean_infer.service_tiles",
    # The command-line options other packages' commands share (click loads with them).
    "device_options": "cerulean_infer.cli.options",
    "model_options": "cerulean_infer.cli.options",
    "postprocess_options": "cerulean_infer.cli.options",
    "parse_thresholds": "cerulean_infer.cli.options",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "LAND",
    "LAND_DISTANCE_M",
    "NOT_OIL",
    "PRESETS",
    "SEA_ICE",
    "STORED_CLASS",
    "STORED_PARENT",
    "BundleError",
    "BundleManifest",
    "CeruleanInferError",
    "ChannelMismatchError",
    "InstancePrediction",
    "MergedScene",
    "MissingExtraError",
    "ModelDescription",
    "ModelLoadError",
    "OutputError",
    "PlacedInstance",
    "PlacedTile",
    "PostprocessPreset",
    "Predictor",
    "Runtime",
    "SceneError",
    "SceneResult",
    "SeaIce",
    "ServiceTile",
    "ServingRow",
    "Slick",
    "TilePlan",
    "TilePredictions",
    "__version__",
    "describe_model",
    "device_options",
    "feature_collection",
    "join_fragments",
    "label_regions",
    "load_state_file",
    "merge_instances",
    "merge_scene",
    "merge_tilesets_serving",
    "model_lattice",
    "model_options",
    "parse_thresholds",
    "polygon_nms",
    "postprocess_options",
    "predict_scene",
    "read_geojson",
    "read_polygons",
    "read_sea_ice",
    "reclassify_slicks",
    "region_boxes",
    "scene_batches",
    "service_tilesets",
    "serving_tile_slicks",
    "serving_tileset_slicks",
    "tile_instances",
    "tiles_plan",
    "unet_slicks",
    "write_geojson",
]
