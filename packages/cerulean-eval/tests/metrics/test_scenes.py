"""Headline numbers from per-scene counts, and the seeded scene bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from cerulean_eval.metrics import (
    SceneStats,
    Totals,
    bootstrap,
    resample_weights,
    resampled,
    summarise,
)

NAMES = ("background", "a", "b")


def scene(name: str, confusion: list[list[int]], true: list[int], pred: list[int],
          found: list[int]) -> SceneStats:
    zeros = np.zeros(3)
    return SceneStats(name, 1, np.asarray(confusion, np.int64), np.asarray(true, np.int64),
                      np.asarray(pred, np.int64), np.asarray(found, np.int64), zeros, zeros,
                      zeros)


S1 = scene("s1", [[90, 5, 0], [5, 10, 0], [0, 0, 0]], [0, 2, 0], [0, 3, 0], [0, 1, 0])
S2 = scene("s2", [[50, 0, 0], [0, 0, 0], [2, 0, 8]], [0, 0, 1], [0, 0, 1], [0, 0, 1])


def test_summary_from_hand_counts() -> None:
    s = summarise(NAMES, Totals.of([S1, S2]))
    # Pixel F1 of a: 2·10 / (15 + 15); of b: 2·8 / (10 + 8); background: 2·140 / (147 + 145).
    f1_a, f1_b, f1_bg = 20 / 30, 16 / 18, 280 / 292
    assert s.pixel_f1 == pytest.approx((f1_a + f1_b) / 2)
    assert s.pixel_macro_f1 == pytest.approx((f1_a + f1_b + f1_bg) / 3)
    assert s.pixel_f1_per_class == pytest.approx({"a": f1_a, "b": f1_b})
    assert s.oil_iou == pytest.approx(18 / (18 + 5 + 7))
    assert (s.slicks_true, s.slicks_predicted, s.slicks_found) == (3, 4, 2)
    assert (s.slicks_missed, s.slicks_false) == (1, 2)
    assert s.instance_f1 == pytest.approx(2 * 2 / 7)
    assert (s.slick_precision, s.slick_recall) == (pytest.approx(0.5), pytest.approx(2 / 3))
    # A class absent from truth and prediction is left out of the means.
    only_a = summarise(NAMES, Totals.of([S1]))
    assert only_a.pixel_f1 == pytest.approx(f1_a) and only_a.pixel_f1_per_class["b"] is None


def test_weights_repeat_scenes_and_json_round_trips() -> None:
    twice = Totals.of([S1, S2], [2, 0])
    np.testing.assert_array_equal(twice.confusion, 2 * S1.confusion)
    again = SceneStats.from_json(S1.to_json())
    np.testing.assert_array_equal(again.confusion, S1.confusion)
    assert again.to_json() == S1.to_json()


def test_bootstrap_is_seeded_and_resamples_scenes() -> None:
    weights = resample_weights(2, 200, seed=4)
    assert weights.shape == (200, 2) and (weights.sum(axis=1) == 2).all()
    np.testing.assert_array_equal(weights, resample_weights(2, 200, seed=4))
    a = bootstrap(NAMES, [S1, S2], 200, seed=4)
    assert a == bootstrap(NAMES, [S1, S2], 200, seed=4)
    low, high = a.bounds["instance_f1"]
    # Resamples hold S1 twice (F1 0.4), S2 twice (1.0), or both (4/7).
    assert low == pytest.approx(0.4) and high == pytest.approx(1.0)
    point = bootstrap(NAMES, [S1], 50, seed=0).bounds["pixel_f1"]
    assert point[0] == point[1] == pytest.approx(summarise(NAMES, Totals.of([S1])).pixel_f1)
    # Paired: two evaluations of the same scenes share the resamples.
    values = resampled(NAMES, [S1, S2], weights)
    swapped = resampled(NAMES, [S2, S1], weights[:, ::-1])
    np.testing.assert_allclose(values["pixel_f1"], swapped["pixel_f1"])
