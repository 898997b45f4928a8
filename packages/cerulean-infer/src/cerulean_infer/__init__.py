"""cerulean-infer: run slick detectors over whole Sentinel-1 scenes, to GeoJSON polygons.

What this package imports at load time decides how fast a service that imports it
starts: torch, onnxruntime and dask are imported where they are used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from cerulean_infer.bundle import BundleManifest, Runtime
from cerulean_infer.errors import CeruleanInferError
from cerulean_infer.postprocess import (
    feature_collection,
    join_fragments,
    merge_instances,
    merge_tilesets_serving,
    polygon_nms,
    read_geojson,
    serving_tile_slicks,
    serving_tileset_slicks,
    tile_instances,
    unet_slicks,
    write_geojson,
)
from cerulean_infer.presets import PRESETS, PostprocessPreset
from cerulean_infer.records import InstancePrediction, PlacedInstance, Slick
from cerulean_infer.serving_row import ServingRow

__all__ = [
    "PRESETS",
    "BundleManifest",
    "CeruleanInferError",
    "InstancePrediction",
    "PlacedInstance",
    "PostprocessPreset",
    "Runtime",
    "ServingRow",
    "Slick",
    "__version__",
    "feature_collection",
    "join_fragments",
    "merge_instances",
    "merge_tilesets_serving",
    "polygon_nms",
    "read_geojson",
    "serving_tile_slicks",
    "serving_tileset_slicks",
    "tile_instances",
    "unet_slicks",
    "write_geojson",
]
