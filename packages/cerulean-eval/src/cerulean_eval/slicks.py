"""Slick-level scoring in map coordinates: matched, missed and false slicks, in km².

Truth slicks come from a dataset's georeferenced tiles: each annotation mask is
outlined in its tile's pixels and placed in lon/lat through the tile's bounds (tiles
carry EPSG:4326 transforms, so pixel → degree is affine). A slick that crosses tile
edges is cut into one annotation per tile; its pieces are put back together by taking,
per scene and class, the union of all pieces and calling each connected part one
slick (so pieces that touch across an edge merge). Predicted instances on tiles are
merged the same way; predicted GeoJSON features are taken as they are (one feature,
one slick).

Matching is greedy and one-to-one, highest confidence first, within a scene (a
prediction without a scene id may match any scene): a prediction matches the
unmatched truth slick with the highest IoU when that IoU reaches the threshold. Areas
are on the WGS84 ellipsoid (pyproj.Geod), and so are the intersections and unions
behind each IoU. Per class, a match needs equal classes; ``any`` matches regardless of class.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from rasterio.features import shapes
from rasterio.transform import from_bounds
from shapely.geometry import MultiPolygon, Polygon, shape

from cerulean_eval.records import PredInstance
from cerulean_eval.types import BoolArray
from cerulean_tiling import Bounds

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, eq=False)
class MapSlick:
    """One slick in lon/lat: geometry, class index, scene and confidence."""

    geometry: MultiPolygon
    label: int
    scene_id: str = ""
    confidence: float = 1.0

    @property
    def area_km2(self) -> float:
        """Area on the WGS84 ellipsoid in km²."""
        return area_km2(self.geometry)


def area_km2(geometry: Any) -> float:
    """Geodesic area of a lon/lat (multi)polygon in km²."""
    if geometry.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(geometry)
    return abs(float(area)) / 1e6


def mask_polygons(mask: BoolArray, bounds: Bounds) -> list[Polygon]:
    """Outline a tile mask in lon/lat (pixel edges, 8-connected regions)."""
    height, width = mask.shape
    transform = from_bounds(*bounds, width, height)
    return [shape(geom) for geom, value in shapes(mask.astype(np.uint8), mask=mask,
                                                  connectivity=8, transform=transform) if value]


def instance_pieces(instances: Sequence[PredInstance], bounds: Bounds,
                    tile_shape: tuple[int, int], scene_id: str) -> list[Piece]:
    """Outline a tile's predicted instances in lon/lat with one polygonising pass.

    The instances are painted by id in ascending score order (where they overlap the
    higher score wins, as in the class raster) and every region of one id becomes a
    piece of that instance's class and score.
    """
    if not instances:
        return []
    ranked = sorted(instances, key=lambda i: i.score)
    ids = np.zeros(tile_shape, dtype=np.int32)
    for n, inst in enumerate(ranked, start=1):
        ids[inst.window][inst.patch] = n
    transform = from_bounds(*bounds, tile_shape[1], tile_shape[0])
    pieces = []
    for geom, value in shapes(ids, mask=ids > 0, connectivity=8, transform=transform):
        inst = ranked[int(value) - 1]
        pieces.append(Piece(scene_id, inst.label, (shape(geom),), float(inst.score)))
    return pieces


@dataclass(frozen=True)
class Piece:
    """A part of a slick found on one tile."""

    scene_id: str
    label: int
    polygons: tuple[Polygon, ...]
    confidence: float = 1.0


def merge_pieces(pieces: Iterable[Piece], grid_size: float) -> list[MapSlick]:
    """Union per (scene, class) of every piece; each connected part is one slick.

    ``grid_size`` (degrees) snaps coordinates before the union so that the shared edge
    of two neighbouring tiles is one line; a hundredth of a pixel is plenty.
    """
    groups: dict[tuple[str, int], list[Piece]] = defaultdict(list)
    for piece in pieces:
        if piece.polygons:
            groups[(piece.scene_id, piece.label)].append(piece)
    out = []
    for (scene_id, label), members in sorted(groups.items()):
        union = shapely.union_all([p for m in members for p in m.polygons], grid_size=grid_size)
        parts = list(getattr(union, "geoms", [union]))
        tree = shapely.STRtree([shapely.union_all(m.polygons) for m in members])
        for part in parts:
            if part.is_empty or part.geom_type != "Polygon":
                continue
            touching = tree.query(part, predicate="intersects")
            confidence = max((members[i].confidence for i in touching), default=1.0)
            out.append(MapSlick(MultiPolygon([part]), label, scene_id, confidence))
    return out


def _iou(a: Any, b: Any) -> float:
    inter = area_km2(shapely.intersection(a, b))
    if inter <= 0:
        return 0.0
    return inter / (area_km2(a) + area_km2(b) - inter)


def _match(truth: Sequence[MapSlick], preds: Sequence[MapSlick], threshold: float,
           same_class: bool) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    if not truth or not preds:
        return pairs
    tree = shapely.STRtree([t.geometry for t in truth])
    taken = set()
    for j in sorted(range(len(preds)), key=lambda k: -preds[k].confidence):
        pred = preds[j]
        best, best_iou = -1, 0.0
        for i in tree.query(pred.geometry, predicate="intersects"):
            i = int(i)
            if i in taken or (pred.scene_id and truth[i].scene_id != pred.scene_id):
                continue
            if same_class and truth[i].label != pred.label:
                continue
            iou = _iou(truth[i].geometry, pred.geometry)
            if iou > best_iou:
                best, best_iou = i, iou
        if best >= 0 and best_iou >= threshold:
            taken.add(best)
            pairs.append((best, j))
    return pairs


def _counts(truth: Sequence[MapSlick], preds: Sequence[MapSlick],
            pairs: Sequence[tuple[int, int]]) -> dict[str, float | int]:
    matched_t = {i for i, _ in pairs}
    matched_p = {j for _, j in pairs}
    tp = len(pairs)
    n_true, n_pred = len(truth), len(preds)
    t_area = [t.area_km2 for t in truth]
    p_area = [p.area_km2 for p in preds]
    den = n_true + n_pred
    return {
        "true": n_true, "predicted": n_pred, "matched": tp,
        "missed": n_true - tp, "false": n_pred - len(matched_p),
        "true_km2": sum(t_area), "predicted_km2": sum(p_area),
        "matched_km2": sum(t_area[i] for i in matched_t),
        "missed_km2": sum(a for i, a in enumerate(t_area) if i not in matched_t),
        "false_km2": sum(a for j, a in enumerate(p_area) if j not in matched_p),
        "precision": tp / n_pred if n_pred else 0.0,
        "recall": tp / n_true if n_true else 0.0,
        "f1": 2 * tp / den if den else 0.0,
    }


def score_slicks(truth: Sequence[MapSlick], preds: Sequence[MapSlick],
                 names: Sequence[str], iou_threshold: float) -> dict[str, Any]:
    """Matched / missed / false slicks and their areas, per class and for any class."""
    per_class = {}
    for label in range(1, len(names)):
        t = [s for s in truth if s.label == label]
        p = [s for s in preds if s.label == label]
        per_class[names[label]] = _counts(t, p, _match(t, p, iou_threshold, True))
    any_class = _counts(truth, preds, _match(truth, preds, iou_threshold, False))
    return {"iou_threshold": iou_threshold, "any": any_class, "per_class": per_class}


__all__ = ["MapSlick", "Piece", "area_km2", "instance_pieces", "mask_polygons", "merge_pieces",
           "score_slicks"]
