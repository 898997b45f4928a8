"""Post-processing: model outputs to slick polygons and GeoJSON, torch-free.

Every step is a plain function over NumPy arrays, shapely geometries and
:class:`~cerulean_infer.records.Slick` records, so a service can call any of them alone:

- UNet: :func:`unet_slicks` (scene probability raster → slicks).
- Polygons and NMS: :func:`mask_polygons`, :func:`polygon_nms`.
- GeoJSON: :func:`feature_collection`, :func:`write_geojson`, :func:`read_geojson`.
"""

from __future__ import annotations

from cerulean_infer.postprocess.antimeridian import split_antimeridian
from cerulean_infer.postprocess.geodesy import MetricFrame, area_km2, utm_epsg
from cerulean_infer.postprocess.geojson import (
    feature,
    feature_collection,
    read_geojson,
    write_geojson,
)
from cerulean_infer.postprocess.islands import Islands, hysteresis, label
from cerulean_infer.postprocess.masks import dice, dice_nms
from cerulean_infer.postprocess.nms import polygon_nms
from cerulean_infer.postprocess.polygons import as_multipolygon, mask_polygons, window_transform
from cerulean_infer.postprocess.unet import unet_slicks

__all__ = [
    "Islands",
    "MetricFrame",
    "area_km2",
    "as_multipolygon",
    "dice",
    "dice_nms",
    "feature",
    "feature_collection",
    "hysteresis",
    "label",
    "mask_polygons",
    "polygon_nms",
    "read_geojson",
    "split_antimeridian",
    "unet_slicks",
    "utm_epsg",
    "window_transform",
    "write_geojson",
]
