"""Soft mask Dice (numba) against NumPy, and the in-class Dice NMS rule."""

from __future__ import annotations

import numpy as np
import pytest

from cerulean_infer import InstancePrediction
from cerulean_infer.postprocess import dice, dice_nms


def reference_dice(u: np.ndarray, v: np.ndarray) -> float:
    total = float(np.sum(u.astype(np.float64) + v))
    return 0.0 if total == 0 else 2 * float(np.sum(np.sqrt(u.astype(np.float64) * v))) / total


def test_dice_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        u = (rng.random((40, 50)) * (rng.random((40, 50)) < 0.4)).astype(np.float32)
        v = (rng.random((40, 50)) * (rng.random((40, 50)) < 0.4)).astype(np.float32)
        assert dice(u, v) == pytest.approx(reference_dice(u, v), rel=1e-9)


def test_dice_known_values() -> None:
    a = np.zeros((4, 4), np.float32)
    a[:2] = 1
    b = np.zeros((4, 4), np.float32)
    b[1:3] = 1
    assert dice(a, a) == pytest.approx(1.0)
    assert dice(a, b) == pytest.approx(0.5)          # 2·4 / (8 + 8)
    assert dice(a, np.zeros_like(a)) == 0.0
    assert dice(np.zeros_like(a), np.zeros_like(a)) == 0.0
    with pytest.raises(ValueError):
        dice(a, np.zeros((3, 4), np.float32))


def _instance(label: int, score: float, rows: slice) -> InstancePrediction:
    mask = np.zeros((10, 10), np.float32)
    mask[rows] = 1.0
    return InstancePrediction(label=label, score=score, box=(0, 0, 10, 10), mask=mask)


def test_dice_nms_in_class_later_goes() -> None:
    first = _instance(1, 0.9, slice(0, 4))
    twin = _instance(1, 0.8, slice(1, 4))        # Dice 6/7 with first: suppressed
    other_class = _instance(2, 0.7, slice(0, 4))  # same pixels, other class: kept
    apart = _instance(1, 0.6, slice(6, 10))       # no overlap: kept
    assert dice_nms([first, twin, other_class, apart], 0.4) == [0, 2, 3]


def test_dice_nms_suppressed_instances_suppress_nothing() -> None:
    a = _instance(1, 0.9, slice(0, 4))
    b = _instance(1, 0.8, slice(2, 6))   # Dice(a, b) = 0.5 > 0.4: goes
    c = _instance(1, 0.7, slice(4, 8))   # Dice(a, c) = 0; Dice(b, c) = 0.5, but b is gone
    assert dice_nms([a, b, c], 0.4) == [0, 2]
    assert dice_nms([a, b, c], 0.5) == [0, 1, 2]   # "above" the threshold, not at it
