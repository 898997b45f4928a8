"""Post-processing: model outputs to slick polygons and GeoJSON, torch-free.

Every step is a plain function over NumPy arrays, shapely geometries and
:class:`~cerulean_infer.records.Slick` records, so a service can call any of them alone:

- UNet: :func:`unet_slicks` (scene or tileset probability raster → slicks).
- Mask R-CNN, ours: :func:`tile_instances` per tile, :func:`merge_instances` across tiles
  and tilesets by mask overlap, :func:`join_fragments`.
- Mask R-CNN, the service's: :func:`serving_tile_slicks` per tile,
  :func:`serving_tileset_slicks` per tileset.
- The service's tileset ensemble: :func:`merge_tilesets_serving`.
- Connected regions: :func:`label_regions`, :func:`region_boxes`, :func:`hysteresis`.
- Polygons and NMS: :func:`mask_polygons`, :func:`polygon_nms`.
- GeoJSON: :func:`feature_collection`, :func:`write_geojson`, :func:`read_geojson`.

A scene's serving-compatible run: per tileset, :func:`unet_slicks` on the tileset's pasted
probabilities (UNet) or :func:`serving_tile_slicks` per tile then
:func:`serving_tileset_slicks` (Mask R-CNN); then :func:`merge_tilesets_serving` over the
tilesets. Our run: :func:`unet_slicks` once on the blended scene raster (with its
``valid`` footprint), or :func:`tile_instances` per tile then :func:`merge_instances`.

What the service's code does where its usual description is looser (reproduced here):

- thresholds: UNet thresholds compare with ``≥``; Mask R-CNN's box, mask and polygon
  thresholds with a strict ``>``;
- UNet: the no-data test drops single pieces of a slick, not whole slicks, and the
  confidences still count the pixels of dropped pieces; the oil classes summed are all
  but the background (the service names indices 1–3, the same for its 4-class models);
- Mask R-CNN stitch: pieces are grouped when their 1000-m buffers intersect, so pieces
  up to ~2000 m apart join (then the 500-m closing bridges only gaps under 1000 m);
- ensemble: "intersects another slick" counts slicks of the same tileset too; on equal
  confidence the slick listed first goes; the "more than half inside" rule is only
  tried when the IoU is at or under the threshold, and removes the included slick
  whatever its confidence;
- islands are numbered in raster order (the service iterates a Python set of labels),
  which only matters for NMS ties.
"""

from __future__ import annotations

from cerulean_infer.postprocess.antimeridian import split_antimeridian
from cerulean_infer.postprocess.fragments import join_fragments
from cerulean_infer.postprocess.geodesy import MetricFrame, area_km2, utm_epsg
from cerulean_infer.postprocess.geojson import (
    feature,
    feature_collection,
    read_geojson,
    write_geojson,
)
from cerulean_infer.postprocess.islands import Islands, hysteresis, label_regions, region_boxes
from cerulean_infer.postprocess.maskrcnn import merge_instances, tile_instances
from cerulean_infer.postprocess.maskrcnn_serving import serving_tile_slicks, serving_tileset_slicks
from cerulean_infer.postprocess.masks import dice, dice_nms
from cerulean_infer.postprocess.merge_serving import merge_tilesets_serving
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
    "join_fragments",
    "label_regions",
    "mask_polygons",
    "merge_instances",
    "merge_tilesets_serving",
    "polygon_nms",
    "read_geojson",
    "region_boxes",
    "serving_tile_slicks",
    "serving_tileset_slicks",
    "split_antimeridian",
    "tile_instances",
    "unet_slicks",
    "utm_epsg",
    "window_transform",
    "write_geojson",
]
