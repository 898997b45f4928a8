"""Scoring one scene's served slicks against its truth: pixels, slicks, examples.

For each scene the evaluation has its dataset tiles (truth, VV) and the slicks that were
served for it. :func:`score_scene`:

1. paints the slicks onto each tile's pixels with their class (:func:`paint`), counts the
   pixel confusion against the tile's truth raster over valid pixels;
2. puts the scene's true slicks back together across tiles, matches the predicted slicks
   to them (:func:`~cerulean_eval.metrics.match_slicks`) and counts true, predicted and
   matched slicks and their areas per class;
3. returns those counts as the scene's :class:`~cerulean_eval.metrics.SceneStats`, with
   the matches (for ``slicks.geojson``) and each tile's painted raster scores (for the
   best and worst examples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_bounds
from shapely.geometry import box

from cerulean_coco import ImageRecord
from cerulean_eval.confusion import confusion_counts
from cerulean_eval.metrics.scenes import SceneStats
from cerulean_eval.metrics.slicks import SlickMatch, match_slicks
from cerulean_eval.records import TileTruth
from cerulean_eval.slicks import MapSlick, Piece, mask_polygons, merge_pieces
from cerulean_tiling import ClassMap
from cerulean_tiling.arrays import UInt8Array


@dataclass(frozen=True, eq=False)
class TileScore:
    """A tile's painted prediction, kept for the examples grid."""

    tile: TileTruth
    painted: UInt8Array
    counts: np.ndarray


@dataclass(frozen=True, eq=False)
class SceneScore:
    """One scene scored: its statistics, its slicks and how they matched."""

    stats: SceneStats
    truth: list[MapSlick]
    predictions: list[MapSlick]
    matches: list[SlickMatch]
    tiles: list[TileScore]


def paint(slicks: Sequence[MapSlick], image: ImageRecord) -> UInt8Array:
    """The slicks' class indices on a tile's pixels (0 where none).

    A pixel takes the class of the most confident slick whose polygon holds its centre
    (rasterio's rule); slicks are painted in ascending confidence, so where two overlap
    the more confident one wins (ties: the later one).
    """
    shape = (image.height, image.width)
    tile = box(*image.bounds)
    shapes = [(s.geometry, s.label) for s in
              sorted((s for s in slicks if s.geometry.intersects(tile)),
                     key=lambda s: s.confidence)]
    if not shapes:
        return np.zeros(shape, dtype=np.uint8)
    painted: UInt8Array = rasterize(shapes, out_shape=shape, dtype="uint8", fill=0,
                                    transform=from_bounds(*image.bounds, image.width,
                                                          image.height))
    return painted


def truth_slicks(scene_id: str, tiles: Sequence[TileTruth]) -> list[MapSlick]:
    """A scene's true slicks: annotation pieces merged across its tiles."""
    pieces = [Piece(scene_id, t.label, tuple(mask_polygons(t.mask, tile.image.bounds)))
              for tile in tiles for t in tile.instances]
    if not tiles:
        return []
    image = tiles[0].image
    pixel = min((image.bounds[2] - image.bounds[0]) / image.width,
                (image.bounds[3] - image.bounds[1]) / image.height)
    return merge_pieces(pieces, pixel / 100)


def score_scene(scene_id: str, tiles: Sequence[TileTruth], predictions: Sequence[MapSlick],
                classes: ClassMap, dice_threshold: float,
                truth: Sequence[MapSlick] | None = None) -> SceneScore:
    """Score one scene's predicted slicks (see the module docstring).

    Args:
        scene_id: the scene.
        tiles: its dataset tiles.
        predictions: its predicted slicks (class indices of ``classes``).
        classes: the evaluated classes.
        dice_threshold: the slick match threshold.
        truth: the scene's true slicks, when not the dataset's annotations.
    """
    k = classes.num_classes
    confusion = np.zeros((k, k), dtype=np.int64)
    tree = shapely.STRtree([p.geometry for p in predictions]) if predictions else None
    scored = []
    for tile in tiles:
        near = [] if tree is None else [predictions[int(i)] for i in
                                        tree.query(box(*tile.image.bounds))]
        painted = paint(near, tile.image)
        valid = tile.valid
        counts = confusion_counts(tile.raster, painted, k, None if valid.all() else valid)
        confusion += counts
        scored.append(TileScore(tile, painted, counts))
    true = list(truth) if truth is not None else truth_slicks(scene_id, tiles)
    preds = list(predictions)
    matches = match_slicks(true, preds, dice_threshold)
    stats = SceneStats(
        scene_id, len(tiles), confusion,
        slicks_true=np.bincount([t.label for t in true], minlength=k).astype(np.int64),
        slicks_predicted=np.bincount([p.label for p in preds], minlength=k).astype(np.int64),
        slicks_matched=np.bincount([true[m.truth].label for m in matches],
                                   minlength=k).astype(np.int64),
        km2_true=_areas(true, k), km2_predicted=_areas(preds, k),
        km2_matched=_areas([true[m.truth] for m in matches], k))
    return SceneScore(stats, true, preds, matches, scored)


def _areas(slicks: Sequence[MapSlick], k: int) -> np.ndarray:
    out = np.zeros(k, dtype=np.float64)
    for s in slicks:
        out[s.label] += s.area_km2
    return out


__all__ = ["SceneScore", "TileScore", "paint", "score_scene", "truth_slicks"]
