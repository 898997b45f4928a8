from __future__ import annotations

import numpy as np
import pytest

from cerulean_tiling.tiles.distance import distance_transform


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("spacing", [(1.0, 1.0), (76.0, 69.0), (3.0, 0.5)])
def test_matches_brute_force(seed: int, spacing: tuple[float, float]) -> None:
    rng = np.random.default_rng(seed)
    features = rng.random((37, 53)) < 0.01
    features[int(rng.integers(0, 37)), int(rng.integers(0, 53))] = True
    got = distance_transform(features, spacing)
    fr, fc = np.nonzero(features)
    rows, cols = np.mgrid[0:37, 0:53]
    d = np.sqrt(((rows[..., None] - fr) * spacing[0]) ** 2
                + ((cols[..., None] - fc) * spacing[1]) ** 2).min(axis=-1)
    np.testing.assert_allclose(got, d, rtol=1e-5)


def test_no_feature_is_infinitely_far() -> None:
    assert np.isinf(distance_transform(np.zeros((4, 5), bool), (1.0, 1.0))).all()
