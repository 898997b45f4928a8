"""Slick matching by geodesic polygon Dice: one to one, same class, most confident first."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, box

from cerulean_eval import MapSlick, area_km2
from cerulean_eval.metrics import match_slicks, polygon_dice


def slick(x0: float, x1: float, label: int = 1, conf: float = 1.0) -> MapSlick:
    return MapSlick(MultiPolygon([box(x0, 0, x1, 0.01)]), label, "S", conf)


def test_dice_is_geodesic_and_symmetric() -> None:
    a, b = slick(0.0, 0.02), slick(0.01, 0.03)
    assert polygon_dice(a, b) == pytest.approx(0.5, rel=1e-6)
    assert polygon_dice(a, b) == polygon_dice(b, a)
    inter = area_km2(box(0.01, 0, 0.02, 0.01))
    assert polygon_dice(a, b) == pytest.approx(2 * inter / (a.area_km2 + b.area_km2))
    assert polygon_dice(a, slick(0.05, 0.06)) == 0.0


def test_hand_built_matching() -> None:
    truth = [slick(0.00, 0.01), slick(0.02, 0.03), slick(0.05, 0.06, label=2)]
    preds = [slick(0.021, 0.03, label=2, conf=0.8),  # right place, wrong class: no match
             slick(0.00, 0.01, conf=0.9),            # truth 0
             slick(0.08, 0.09, label=2, conf=0.7),   # nothing there
             slick(0.05, 0.06, label=2, conf=0.6)]   # truth 2
    matches = match_slicks(truth, preds, 0.2)
    assert [(m.truth, m.prediction) for m in matches] == [(0, 1), (2, 3)]
    assert all(m.dice == pytest.approx(1.0) for m in matches)


def test_one_to_one_most_confident_first_and_the_threshold() -> None:
    truth = [slick(0.0, 0.02)]
    # Two halves of one slick: the more confident half takes it, the other is false.
    halves = [slick(0.0, 0.01, conf=0.4), slick(0.01, 0.02, conf=0.9)]
    matches = match_slicks(truth, halves, 0.2)
    assert [(m.truth, m.prediction) for m in matches] == [(0, 1)]
    assert matches[0].dice == pytest.approx(2 / 3, rel=1e-4)
    assert match_slicks(truth, halves, 0.7) == []
    assert match_slicks(truth, [], 0.2) == [] and match_slicks([], halves, 0.2) == []
