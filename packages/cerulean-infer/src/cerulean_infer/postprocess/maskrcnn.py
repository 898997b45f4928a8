"""Mask R-CNN detections to slicks, merged by mask overlap on the scene lattice (our way).

Slicks are long and thin: a slick cut by tile edges and seen again by the shifted
tilesets comes as several instances whose boxes hardly say whether they are the same
slick. Their masks do. Every tile sits on one scene lattice, so instances are compared
pixel by pixel:

1. per tile (:func:`tile_instances`): box score ``≥ bbox_score_thresh``, mask maximum
   ``≥ pixel_score_thresh``, in-class mask Dice NMS above ``pixel_nms_thresh``;
2. each instance's footprint is its pixels with mask ``≥ poly_score_thresh``; two
   instances of one class are the same slick when at least ``merge_overlap_thresh`` of
   the smaller footprint lies in the other (this also covers IoU, which is never
   larger); sameness is transitive, so the halves of a slick cut by a tile edge join
   through the shifted tile that sees both;
3. on each group's window of the lattice, per pixel, over the group's instances whose
   tile covers the pixel: the mask probability is their score-weighted mean mask
   ``m = Σ sᵢmᵢ / Σ sᵢ`` and the confidence their score-weighted mean of score × mask
   ``c = Σ sᵢ²mᵢ / Σ sᵢ``; the slick is outlined where ``m ≥ poly_score_thresh`` and its
   confidences are the mean, median (``machine_confidence``) and max of ``c`` there;
4. fragments of one class within ``join_distance_m`` are joined
   (:func:`~cerulean_infer.postprocess.fragments.join_fragments`), then polygon NMS
   across classes at ``poly_nms_thresh``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.transform import Affine
from shapely.geometry import box
from shapely.strtree import STRtree

from cerulean_infer.postprocess.fragments import connected_groups, join_fragments
from cerulean_infer.postprocess.masks import dice_nms
from cerulean_infer.postprocess.nms import polygon_nms
from cerulean_infer.postprocess.polygons import as_multipolygon, mask_polygons, window_transform
from cerulean_infer.presets import PostprocessPreset
from cerulean_infer.records import InstancePrediction, PlacedInstance, Slick


def tile_instances(instances: Sequence[InstancePrediction],
                   preset: PostprocessPreset) -> list[InstancePrediction]:
    """One tile's detections that pass the score filters and in-class mask NMS.

    Returns:
        The survivors by descending score (ties keep the model's order).
    """
    ranked = sorted(instances, key=lambda i: -i.score)
    kept = [i for i in ranked if i.score >= preset.bbox_score_thresh
            and i.mask.size and float(i.mask.max()) >= preset.pixel_score_thresh]
    if preset.pixel_nms_thresh is None:
        return kept
    return [kept[k] for k in dice_nms(kept, preset.pixel_nms_thresh)]


@dataclass(frozen=True, eq=False)
class _Footprint:
    """An instance's pixels at ``mask ≥ poly_score_thresh``, cropped, on the lattice."""

    placed: PlacedInstance
    inside: np.ndarray[Any, np.dtype[np.bool_]]
    row0: int
    col0: int

    @property
    def rows(self) -> slice:
        return slice(self.row0, self.row0 + self.inside.shape[0])

    @property
    def cols(self) -> slice:
        return slice(self.col0, self.col0 + self.inside.shape[1])


def _footprint(placed: PlacedInstance, thresh: float) -> _Footprint | None:
    inside = placed.instance.mask >= thresh
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return _Footprint(placed, inside[r0:r1, c0:c1], placed.row + r0, placed.col + c0)


def _overlap(a: _Footprint, b: _Footprint) -> float:
    """Fraction of the smaller footprint's pixels inside the other."""
    r0, r1 = max(a.rows.start, b.rows.start), min(a.rows.stop, b.rows.stop)
    c0, c1 = max(a.cols.start, b.cols.start), min(a.cols.stop, b.cols.stop)
    if r0 >= r1 or c0 >= c1:
        return 0.0
    wa = a.inside[r0 - a.row0:r1 - a.row0, c0 - a.col0:c1 - a.col0]
    wb = b.inside[r0 - b.row0:r1 - b.row0, c0 - b.col0:c1 - b.col0]
    smaller = min(int(a.inside.sum()), int(b.inside.sum()))
    return int(np.count_nonzero(wa & wb)) / smaller


def _group_slick(members: Sequence[_Footprint], lattice_transform: Affine,
                 classes: Sequence[str], thresh: float) -> Slick | None:
    r0 = min(m.rows.start for m in members)
    r1 = max(m.rows.stop for m in members)
    c0 = min(m.cols.start for m in members)
    c1 = max(m.cols.stop for m in members)
    weighted = np.zeros((r1 - r0, c1 - c0), dtype=np.float64)
    squared = np.zeros_like(weighted)
    cover = np.zeros_like(weighted)
    for member in members:
        placed = member.placed
        mask = placed.instance.mask
        score = float(placed.instance.score)
        tr0, tc0 = max(placed.row, r0), max(placed.col, c0)
        tr1 = min(placed.row + mask.shape[0], r1)
        tc1 = min(placed.col + mask.shape[1], c1)
        part = mask[tr0 - placed.row:tr1 - placed.row, tc0 - placed.col:tc1 - placed.col]
        window = (slice(tr0 - r0, tr1 - r0), slice(tc0 - c0, tc1 - c0))
        weighted[window] += score * part
        squared[window] += score * score * part
        cover[window] += score
    covered = cover > 0
    probability = np.divide(weighted, cover, out=np.zeros_like(weighted), where=covered)
    inside = covered & (probability >= thresh)
    if not inside.any():
        return None
    pieces = mask_polygons(inside, window_transform(lattice_transform, r0, c0))
    confidence = (squared[inside] / cover[inside]).astype(np.float32)
    label = int(members[0].placed.instance.label)
    median = float(np.median(confidence))
    return Slick(
        geometry=as_multipolygon(pieces), inf_idx=label, class_name=classes[label],
        machine_confidence=median, mean_conf=float(np.mean(confidence)), median_conf=median,
        max_conf=float(np.max(confidence)),
    )


def merge_instances(placed: Sequence[PlacedInstance], lattice_transform: Affine,
                    classes: Sequence[str], preset: PostprocessPreset) -> list[Slick]:
    """Slicks from the detections of every tile of every tileset of a scene.

    Args:
        placed: detections (already through :func:`tile_instances`) with the lattice
            pixel of their tile's top-left corner.
        lattice_transform: pixel → lon/lat affine transform of the scene lattice.
        classes: class name of each model output index.
        preset: thresholds (see the module docstring for how each is used).

    Returns:
        The slicks, ordered by their first instance in ``placed``.
    """
    footprints = [f for p in placed if (f := _footprint(p, preset.poly_score_thresh))]
    if not footprints:
        return []
    boxes = [box(f.cols.start, f.rows.start, f.cols.stop, f.rows.stop) for f in footprints]
    left, right = STRtree(boxes).query(boxes, predicate="intersects")
    pairs = [
        (a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True)
        if a < b and footprints[a].placed.instance.label == footprints[b].placed.instance.label
        and _overlap(footprints[a], footprints[b]) >= preset.merge_overlap_thresh
    ]
    slicks = [
        s for group in connected_groups(len(footprints), pairs)
        if (s := _group_slick([footprints[i] for i in group], lattice_transform, classes,
                              preset.poly_score_thresh))
    ]
    if preset.join_distance_m > 0:
        slicks = join_fragments(slicks, preset.join_distance_m)
    return polygon_nms(slicks, preset.poly_nms_thresh)


__all__ = ["merge_instances", "tile_instances"]
