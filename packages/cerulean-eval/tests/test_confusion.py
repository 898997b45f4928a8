from __future__ import annotations

import numpy as np
import pytest

from cerulean_eval import confusion_counts, score_histogram, sweep_counts


def reference(truth: np.ndarray, pred: np.ndarray, k: int, valid: np.ndarray | None) -> np.ndarray:
    out = np.zeros((k, k), dtype=np.int64)
    keep = np.ones(truth.shape, bool) if valid is None else valid
    np.add.at(out, (truth[keep].astype(int), pred[keep].astype(int)), 1)
    return out


SHAPES = [(1,), (7,), (8,), (9,), (3, 5), (16, 16), (17, 31), (2, 64, 64), (512, 512), (5, 3, 7)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k", [1, 2, 4, 7, 12, 256])
def test_random_labels_match_numpy(shape: tuple[int, ...], k: int) -> None:
    rng = np.random.default_rng(hash((shape, k)) % 2**32)
    truth = rng.integers(0, k, shape).astype(np.uint8)
    pred = rng.integers(0, k, shape).astype(np.uint8)
    np.testing.assert_array_equal(confusion_counts(truth, pred, k), reference(truth, pred, k, None))
    valid = rng.random(shape) > 0.3
    np.testing.assert_array_equal(confusion_counts(truth, pred, k, valid),
                                  reference(truth, pred, k, valid))


@pytest.mark.parametrize("k", [2, 4, 7])
def test_blocky_rasters_with_nodata_border_match_numpy(k: int) -> None:
    # Long runs take the eight-pixels-at-once path; edges and nodata the per-pixel one.
    rng = np.random.default_rng(k)
    truth = np.zeros((3, 130, 257), np.uint8)
    pred = np.zeros_like(truth)
    for _ in range(20):
        b, r, c = rng.integers(0, 3), rng.integers(0, 120), rng.integers(0, 240)
        truth[b, r:r + rng.integers(1, 40), c:c + rng.integers(1, 90)] = rng.integers(0, k)
        pred[b, r:r + rng.integers(1, 40), c:c + rng.integers(1, 90)] = rng.integers(0, k)
    valid = np.ones(truth.shape, bool)
    valid[:, :, :13] = False
    valid[1] = False
    np.testing.assert_array_equal(confusion_counts(truth, pred, k, valid),
                                  reference(truth, pred, k, valid))
    np.testing.assert_array_equal(confusion_counts(truth, pred, k),
                                  reference(truth, pred, k, None))
    truth[2, 50:60, :] = k  # out-of-range labels inside long uniform runs are caught too
    with pytest.raises(ValueError, match=f"2570 pixels carry a class index ≥ {k}"):
        confusion_counts(truth, pred, k)


def test_accumulates_into_out_and_accepts_views() -> None:
    rng = np.random.default_rng(0)
    big_t = rng.integers(0, 3, (40, 50)).astype(np.uint8)
    big_p = rng.integers(0, 3, (40, 50)).astype(np.uint8)
    out = np.zeros((3, 3), np.int64)
    confusion_counts(big_t[:20, 3:41], big_p[:20, 3:41], 3, out=out)
    confusion_counts(big_t[20:, ::2], big_p[20:, ::2], 3, out=out)
    expected = reference(big_t[:20, 3:41], big_p[:20, 3:41], 3, None) + reference(
        big_t[20:, ::2], big_p[20:, ::2], 3, None)
    np.testing.assert_array_equal(out, expected)


def test_bad_inputs_raise() -> None:
    t = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="shapes differ"):
        confusion_counts(t, np.zeros((4, 5), np.uint8), 2)
    with pytest.raises(ValueError, match="uint8"):
        confusion_counts(t, np.zeros((4, 4), np.int32), 2)  # type: ignore[arg-type]
    bad = t.copy()
    bad[1, 1] = 3
    with pytest.raises(ValueError, match="1 pixels carry a class index ≥ 3"):
        confusion_counts(t, bad, 3)
    with pytest.raises(ValueError, match="16 pixels"):
        confusion_counts(np.full((4, 4), 5, np.uint8), t, 3)


@pytest.mark.parametrize("k", [2, 4])
def test_sweep_equals_thresholding_at_every_bin(k: int) -> None:
    rng = np.random.default_rng(k)
    shape = (37, 41)
    truth = rng.integers(0, k, shape).astype(np.uint8)
    label = rng.integers(1, k, shape).astype(np.uint8)
    score = rng.random(shape).astype(np.float32)
    score[0, :5] = [0.0, 1.0, 0.5, 0.25, 0.999]
    valid = rng.random(shape) > 0.1
    bins = 20
    curves = sweep_counts(score_histogram(truth, label, score, k, bins, valid))
    for b in range(bins):
        reached = score.astype(np.float64) >= b / bins - 1e-6
        thresholded = np.where(reached, label, 0).astype(np.uint8)
        np.testing.assert_array_equal(curves[b], reference(truth, thresholded, k, valid))
