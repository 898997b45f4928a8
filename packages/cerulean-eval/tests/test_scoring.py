"""Scoring a scene: slicks painted on tiles, a slick across a tile edge counts once."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, box

from cerulean_coco import Category, ImageRecord
from cerulean_eval import MapSlick, TileTruth, TruthInstance, dataset_classes, paint, score_scene
from cerulean_eval.truth import truth_raster

RES = 0.001
CLASSES = dataset_classes([Category(1, "infra_slick"), Category(2, "natural_seep")])


def tile(col: int, mask: np.ndarray, label: int = 1) -> TileTruth:
    """A 20×20 tile at column ``col`` of a 0.001° grid, with one true instance."""
    image = ImageRecord(col + 1, f"tiles/t{col}.tif", 20, 20, "S", "c", "tms", (12, col, 0),
                        (col * 20 * RES, 0.0, (col + 1) * 20 * RES, 20 * RES), ("vv",))
    truth = (TruthInstance(label, mask, col + 1, int(mask.sum())),) if mask.any() else ()
    vv = np.full((20, 20), 100, np.uint8)
    return TileTruth(image, truth, truth_raster(truth, (20, 20)), vv)


def test_paint_takes_pixel_centres_and_the_most_confident_slick() -> None:
    image = tile(0, np.zeros((20, 20), bool)).image
    low = MapSlick(MultiPolygon([box(0.0, 0.010, 0.010, 0.020)]), 1, "S", 0.5)
    high = MapSlick(MultiPolygon([box(0.005, 0.010, 0.0151, 0.020)]), 2, "S", 0.9)
    painted = paint([high, low], image)
    assert (painted[:10, :5] == 1).all() and (painted[:10, 5:15] == 2).all()
    # 0.0151 covers a tenth of column 15: its centre is outside, so it stays empty.
    assert (painted[:10, 15:] == 0).all() and (painted[10:] == 0).all()
    assert paint([], image).sum() == 0


def test_a_slick_crossing_a_tile_edge_counts_once() -> None:
    left, right = np.zeros((20, 20), bool), np.zeros((20, 20), bool)
    left[8:12, 12:] = True
    right[8:12, :6] = True
    tiles = [tile(0, left), tile(1, right)]
    served = MapSlick(MultiPolygon([box(0.012, 0.008, 0.026, 0.012)]), 1, "S", 0.8)
    score = score_scene("S", tiles, [served], CLASSES, 0.2)
    stats = score.stats
    assert (stats.slicks_true[1], stats.slicks_predicted[1], stats.slicks_matched[1]) == (1, 1, 1)
    assert score.matches[0].dice == pytest.approx(1.0, abs=1e-6)
    # Every truth pixel is painted back: 4 × 8 + 4 × 6 oil pixels, none false.
    assert stats.confusion[1, 1] == 56 and stats.confusion[0, 1] == stats.confusion[1, 0] == 0
    assert stats.km2_true[1] == pytest.approx(stats.km2_matched[1])
    # Served as two pieces, one per tile, the slick is one match and one false slick.
    pieces = [MapSlick(MultiPolygon([box(0.012, 0.008, 0.020, 0.012)]), 1, "S", 0.8),
              MapSlick(MultiPolygon([box(0.020, 0.008, 0.026, 0.012)]), 1, "S", 0.7)]
    split = score_scene("S", tiles, pieces, CLASSES, 0.2).stats
    assert (split.slicks_true[1], split.slicks_predicted[1], split.slicks_matched[1]) == (1, 2, 1)


def test_nodata_pixels_are_left_out() -> None:
    mask = np.zeros((20, 20), bool)
    mask[:, :4] = True
    one = tile(0, mask)
    one.vv[:, :4] = 0
    stats = score_scene("S", [one], [], CLASSES, 0.2).stats
    assert stats.confusion.sum() == 20 * 16 and stats.confusion[1].sum() == 0
