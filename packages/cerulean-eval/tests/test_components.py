from __future__ import annotations

import numpy as np
import pytest

from cerulean_eval import from_probabilities, from_raster, label_components

ndimage = pytest.importorskip("scipy.ndimage")


def reference(raster: np.ndarray) -> np.ndarray:
    """Components per value with scipy (8-connected), renumbered in scan order."""
    out = np.zeros(raster.shape, np.int64)
    offset = 0
    for value in np.unique(raster[raster > 0]):
        labels, n = ndimage.label(raster == value, structure=np.ones((3, 3)))
        out[labels > 0] = labels[labels > 0] + offset
        offset += n
    return out


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
    return len(pairs) == len({p[0] for p in pairs}) == len({p[1] for p in pairs})


@pytest.mark.parametrize("seed", range(6))
def test_matches_scipy_on_random_rasters(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 70, 2))
    raster = (rng.random(shape) < 0.45).astype(np.uint8) * rng.integers(1, 4, shape).astype(
        np.uint8)
    labels, n = label_components(raster)
    ref = reference(raster)
    assert n == len(np.unique(ref[ref > 0]))
    assert same_partition(labels, ref)
    assert ((labels > 0) == (raster > 0)).all()


def test_components_score_mean_probability() -> None:
    probs = np.zeros((3, 4, 6), np.float32)
    probs[0] = 1.0
    probs[:, 0, 0:2] = [[0.1, 0.3], [0.9, 0.7], [0.0, 0.0]]  # class 1, mean 0.8
    probs[:, 3, 4:6] = [[0.4, 0.4], [0.0, 0.0], [0.6, 0.6]]  # class 2, mean 0.6
    pred = from_probabilities(probs)
    assert [(i.label, round(i.score, 6)) for i in pred.instances] == [(1, 0.8), (2, 0.6)]
    assert pred.kept == pred.instances
    assert pred.confidence is not None and pred.confidence[0, 0] == pytest.approx(0.9)
    raster_pred = from_raster(pred.raster)
    assert [i.score for i in raster_pred.instances] == [1.0, 1.0]
    assert raster_pred.confidence is None
