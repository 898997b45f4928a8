"""Mask R-CNN detections to slicks exactly as the serving service does it.

Per tile (:func:`serving_tile_slicks`): instances with box score ``> bbox_score_thresh``
and mask maximum ``> pixel_score_thresh`` (strict, as the service compares), in-class
mask Dice NMS above ``pixel_nms_thresh`` in the model's order, then each instance's
pixels with mask ``> poly_score_thresh`` outlined 8-connected into one MultiPolygon whose
confidences are all the box score.

Per tileset (:func:`serving_tileset_slicks`), over every tile's slicks, in the local UTM
frame: each slick buffered by ``join_distance_m`` (1000 m); slicks of one class whose
buffers intersect are grouped (transitively; so pieces up to twice that distance apart
join); each group dissolved into the union of its unbuffered pieces with
``machine_confidence`` = median of the pieces' scores, ``mean_conf``/``median_conf``/
``max_conf`` = mean/median/max of them; closed by ``closing_m`` (500 m: buffer out, then
in, which bridges gaps narrower than 1000 m); then polygon NMS across classes
(:func:`~cerulean_infer.postprocess.nms.polygon_nms`). Buffers use 16 segments per
quarter circle, as geopandas does.

The service's code hands its stitched features to that NMS wrapped in a second
FeatureCollection, which the NMS cannot iterate (it would fail on the first feature);
here the features go to the NMS as evidently meant.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from rasterio.transform import Affine
from shapely.strtree import STRtree

from cerulean_infer.postprocess.fragments import connected_groups, same_class_pairs
from cerulean_infer.postprocess.geodesy import MetricFrame
from cerulean_infer.postprocess.masks import dice_nms
from cerulean_infer.postprocess.nms import polygon_nms
from cerulean_infer.postprocess.polygons import as_multipolygon, mask_polygons
from cerulean_infer.presets import PostprocessPreset
from cerulean_infer.records import InstancePrediction, Slick

QUAD_SEGS = 16
"""Segments per quarter circle of the service's (geopandas') buffers."""


def serving_tile_slicks(instances: Sequence[InstancePrediction], tile_transform: Affine,
                        classes: Sequence[str], preset: PostprocessPreset) -> list[Slick]:
    """The slicks of one tile's detections, one per surviving instance, the service's way.

    Args:
        instances: the tile's detections in the model's order (descending score).
        tile_transform: pixel → lon/lat affine transform of the tile.
        classes: class name of each model output index.
        preset: thresholds (see the module docstring).
    """
    kept = [i for i in instances if i.score > preset.bbox_score_thresh]
    kept = [i for i in kept if i.mask.size and float(i.mask.max()) > preset.pixel_score_thresh]
    if preset.pixel_nms_thresh is not None:
        kept = [kept[k] for k in dice_nms(kept, preset.pixel_nms_thresh)]
    slicks = []
    for instance in kept:
        pieces = mask_polygons(instance.mask > preset.poly_score_thresh, tile_transform,
                               connectivity=8)
        if not pieces:
            continue
        score = float(instance.score)
        slicks.append(Slick(
            geometry=as_multipolygon(pieces), inf_idx=int(instance.label),
            class_name=classes[instance.label], machine_confidence=score,
            mean_conf=score, median_conf=score, max_conf=score,
        ))
    return slicks


def serving_tileset_slicks(tile_slicks: Sequence[Slick], preset: PostprocessPreset, *,
                           closing_m: float = 500.0) -> list[Slick]:
    """One tileset's slicks stitched across its tiles, the service's way.

    Args:
        tile_slicks: the slicks of every tile of the tileset
            (:func:`serving_tile_slicks`), tiles in the order they were predicted.
        preset: ``join_distance_m`` is the buffer that groups pieces, ``poly_nms_thresh``
            the final NMS threshold.
        closing_m: width of the morphological closing of each dissolved group.
    """
    if not tile_slicks:
        return []
    frame = MetricFrame.around([s.geometry for s in tile_slicks])
    metric = np.asarray(frame.to_metric([s.geometry for s in tile_slicks]), dtype=object)
    grown = shapely.buffer(metric, preset.join_distance_m, quad_segs=QUAD_SEGS)
    left, right = STRtree(grown).query(grown, predicate="intersects")
    groups = connected_groups(len(tile_slicks), same_class_pairs(tile_slicks, left, right))
    dissolved = []
    for group in groups:
        shape = shapely.union_all(metric[group])
        shape = shapely.buffer(shapely.buffer(shape, closing_m, quad_segs=QUAD_SEGS),
                               -closing_m, quad_segs=QUAD_SEGS)
        dissolved.append(shapely.buffer(shape, 0.0, quad_segs=QUAD_SEGS))
    stitched = []
    for group, geometry in zip(groups, frame.to_lonlat(dissolved), strict=True):
        scores = np.array([tile_slicks[i].machine_confidence for i in group])
        labels = np.array([tile_slicks[i].inf_idx for i in group])
        values, counts = np.unique(labels, return_counts=True)
        inf_idx = int(values[np.argmax(counts)])
        first = tile_slicks[group[0]]
        median = float(np.median(scores))
        stitched.append(Slick(
            geometry=as_multipolygon(geometry), inf_idx=inf_idx, class_name=first.class_name,
            machine_confidence=median, mean_conf=float(np.mean(scores)), median_conf=median,
            max_conf=float(np.max(scores)), tileset=first.tileset,
        ))
    return polygon_nms(stitched, preset.poly_nms_thresh)


__all__ = ["QUAD_SEGS", "serving_tile_slicks", "serving_tileset_slicks"]
