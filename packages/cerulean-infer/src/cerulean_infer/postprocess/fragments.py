"""Fragments of one slick, joined: detections of one class that lie close together.

A long slick is often detected as several pieces (one per tile, or broken where the
radar signal fades). Pieces of one class that lie within a distance of each other, in
metres on the ground, are joined into one slick whose geometry is their union (a
MultiPolygon: the gap is not filled). Closeness is transitive: A near B near C joins
all three. Distances are measured in the local UTM frame
(:class:`~cerulean_infer.postprocess.geodesy.MetricFrame`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.strtree import STRtree

from cerulean_infer.postprocess.geodesy import MetricFrame
from cerulean_infer.postprocess.polygons import as_multipolygon
from cerulean_infer.records import Slick


def connected_groups(count: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Connected components of ``count`` nodes joined by ``pairs``.

    Returns:
        Groups with their members ascending, ordered by their smallest member (the
        order geopandas' dissolve gives the service's groups).
    """
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for node in range(count):
        groups.setdefault(find(node), []).append(node)
    return sorted(groups.values(), key=lambda members: members[0])


def same_class_pairs(slicks: Sequence[Slick], left: np.ndarray, right: np.ndarray,
                     ) -> list[tuple[int, int]]:
    """The (left, right) index pairs whose slicks share a class, self-pairs left out."""
    return [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True)
            if a != b and slicks[a].inf_idx == slicks[b].inf_idx]


def _joined(members: Sequence[Slick], weights: np.ndarray) -> Slick:
    """One slick for several fragments: their union, area-weighted confidences."""
    first = members[0]
    if len(members) == 1:
        return first
    w = weights / weights.sum() if weights.sum() > 0 else np.full(len(members), 1 / len(members))
    medians = np.array([m.median_conf for m in members])
    order = np.argsort(medians, kind="stable")
    cumulative = np.cumsum(w[order])
    median = float(medians[order][int(np.searchsorted(cumulative, 0.5))])
    tilesets = {m.tileset for m in members}
    return Slick(
        geometry=as_multipolygon(shapely.union_all([m.geometry for m in members])),
        inf_idx=first.inf_idx, class_name=first.class_name,
        machine_confidence=median,
        mean_conf=float(np.dot(w, [m.mean_conf for m in members])),
        median_conf=median,
        max_conf=float(max(m.max_conf for m in members)),
        tileset=tilesets.pop() if len(tilesets) == 1 else None,
        extra=dict(first.extra),
    )


def join_fragments(slicks: Sequence[Slick], distance_m: float) -> list[Slick]:
    """Join the slicks of one class that lie within ``distance_m`` metres of each other.

    A joined slick's geometry is the union of its fragments; its mean confidence is
    the area-weighted mean of theirs, its median (and ``machine_confidence``) the
    area-weighted median of their medians, its max the largest max. Slicks that join
    nothing come back unchanged.

    Args:
        slicks: lon/lat slicks, any classes.
        distance_m: the largest gap, in metres, that still joins two fragments.

    Returns:
        One slick per group, ordered by the group's first slick in the input.
    """
    if not slicks:
        return []
    metric = np.asarray(MetricFrame.around([s.geometry for s in slicks])
                        .to_metric([s.geometry for s in slicks]), dtype=object)
    left, right = STRtree(metric).query(metric, predicate="dwithin", distance=distance_m)
    groups = connected_groups(len(slicks), same_class_pairs(slicks, left, right))
    areas = shapely.area(metric)
    return [_joined([slicks[i] for i in g], areas[g]) for g in groups]


__all__ = ["connected_groups", "join_fragments", "same_class_pairs"]
