"""Polygon non-maximum suppression: the serving service's rule for overlapping slicks.

Slicks are compared pairwise in their given order (``i`` before ``j``), areas in the
local UTM frame (:class:`~cerulean_infer.postprocess.geodesy.MetricFrame`):

1. a slick that intersects fewer than ``min_overlaps`` other slicks goes first (the
   service's ensemble step asks for 1: a detection no other tiling confirms is dropped);
   an empty geometry intersects nothing, not even itself, so it always goes;
2. of two intersecting slicks with IoU above the threshold, the one with the lower
   ``machine_confidence`` goes (on a tie the earlier one, ``i``, goes);
3. otherwise, when more than half of ``i`` lies inside ``j``, ``i`` goes; else when
   more than half of ``j`` lies inside ``i``, ``j`` goes;
4. a slick that has gone takes part in no further comparison.

Classes compete with each other unless ``in_class_only`` is set. Only intersecting pairs
are looked at (an STR-tree finds them), which gives the service's answer without its
all-pairs loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.strtree import STRtree

from cerulean_infer.postprocess.geodesy import MetricFrame
from cerulean_infer.records import Slick


def polygon_nms(slicks: Sequence[Slick], iou_thresh: float, *, min_overlaps: int = 0,
                in_class_only: bool = False) -> list[Slick]:
    """The slicks that survive polygon NMS (see the module docstring), in input order.

    Args:
        slicks: candidates in lon/lat; their order decides ties.
        iou_thresh: IoU above which the less confident of two slicks goes.
        min_overlaps: how many other slicks a slick must intersect to stay.
        in_class_only: compare only slicks of the same ``inf_idx``.
    """
    if not slicks:
        return []
    frame = MetricFrame.around([s.geometry for s in slicks])
    metric = np.asarray(frame.to_metric([s.geometry for s in slicks]), dtype=object)
    invalid = ~shapely.is_valid(metric)
    metric[invalid] = shapely.make_valid(metric[invalid])
    areas = shapely.area(metric)
    tree = STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    overlaps = np.bincount(left, minlength=len(slicks)) - 1
    removed = overlaps < min_overlaps
    forward = left < right
    left, right = left[forward], right[forward]
    order = np.lexsort((right, left))
    for i, j in zip(left[order].tolist(), right[order].tolist(), strict=True):
        if removed[i] or removed[j]:
            continue
        if in_class_only and slicks[i].inf_idx != slicks[j].inf_idx:
            continue
        inter = float(shapely.area(shapely.intersection(metric[i], metric[j])))
        union = float(areas[i] + areas[j] - inter)
        if union > 0 and inter / union > iou_thresh:
            if slicks[i].machine_confidence <= slicks[j].machine_confidence:
                removed[i] = True
            else:
                removed[j] = True
        elif inter > 0.5 * areas[i]:
            removed[i] = True
        elif inter > 0.5 * areas[j]:
            removed[j] = True
    return [s for s, gone in zip(slicks, removed, strict=True) if not gone]


__all__ = ["polygon_nms"]
