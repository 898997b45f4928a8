from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, box

from cerulean_eval import MapSlick, Piece, area_km2, merge_pieces, score_slicks
from cerulean_eval.slicks import mask_polygons

NAMES = ("background", "infra_slick", "natural_seep")


def test_geodesic_area() -> None:
    # A 1°×1° cell on the equator is 12,308.8 km² on WGS84 (110.57 km × 111.32 km).
    assert area_km2(box(0, 0, 1, 1)) == pytest.approx(12308.8, rel=1e-4)
    assert area_km2(box(0, 60, 1, 61)) < 0.51 * area_km2(box(0, 0, 1, 1))


def test_slick_split_across_two_tiles_is_one_slick() -> None:
    # Two 10×10 tiles side by side, 0.01° pixels; one slick crosses their shared edge.
    left, right = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
    left[4:6, 6:10] = True
    right[4:6, 0:3] = True
    lb, rb = (0.0, 0.0, 0.1, 0.1), (0.1, 0.0, 0.2, 0.1)
    pieces = [Piece("S", 1, tuple(mask_polygons(left, lb))),
              Piece("S", 1, tuple(mask_polygons(right, rb)))]
    slicks = merge_pieces(pieces, grid_size=1e-4)
    assert len(slicks) == 1
    assert slicks[0].geometry.bounds == pytest.approx((0.06, 0.04, 0.13, 0.06))
    # The same pieces in two scenes, or of two classes, stay apart.
    assert len(merge_pieces([pieces[0], Piece("T", 1, pieces[1].polygons)], 1e-4)) == 2
    assert len(merge_pieces([pieces[0], Piece("S", 2, pieces[1].polygons)], 1e-4)) == 2


def slick(x0: float, x1: float, label: int = 1, conf: float = 1.0, scene: str = "S") -> MapSlick:
    return MapSlick(MultiPolygon([box(x0, 0, x1, 0.01)]), label, scene, conf)


def test_hand_built_slick_matching() -> None:
    truth = [slick(0.00, 0.01), slick(0.02, 0.03), slick(0.05, 0.06, label=2)]
    preds = [slick(0.00, 0.01, conf=0.9),            # matches truth 0
             slick(0.021, 0.03, label=2, conf=0.8),  # right place, wrong class
             slick(0.08, 0.09, label=2, conf=0.7),   # nothing there
             slick(0.05, 0.06, label=2, conf=0.6, scene="")]  # no scene id: any scene
    result = score_slicks(truth, preds, NAMES, iou_threshold=0.1)
    infra, seep = result["per_class"]["infra_slick"], result["per_class"]["natural_seep"]
    assert (infra["matched"], infra["missed"], infra["false"]) == (1, 1, 0)
    assert (seep["matched"], seep["missed"], seep["false"]) == (1, 0, 2)
    any_class = result["any"]
    assert (any_class["matched"], any_class["missed"], any_class["false"]) == (3, 0, 1)
    cell = area_km2(box(0, 0, 0.01, 0.01))
    assert infra["true_km2"] == pytest.approx(2 * cell) and infra["missed_km2"] == pytest.approx(
        cell)
    assert seep["false_km2"] == pytest.approx(cell + area_km2(box(0.021, 0, 0.03, 0.01)))


def test_iou_threshold_and_scene_separation() -> None:
    truth = [slick(0.0, 0.01)]
    assert score_slicks(truth, [slick(0.009, 0.02)], NAMES, 0.1)["any"]["matched"] == 0
    assert score_slicks(truth, [slick(0.0, 0.01, scene="T")], NAMES, 0.1)["any"]["matched"] == 0
    empty = score_slicks(truth, [], NAMES, 0.1)["any"]
    assert (empty["missed"], empty["f1"], empty["precision"]) == (1, 0.0, 0.0)
