from __future__ import annotations

import numpy as np

from cerulean_tiling.geo.tps import ThinPlateSpline


def _points(rng: np.random.Generator, n: int = 40) -> np.ndarray:
    return rng.uniform(0, 1000, (n, 2))


def test_interpolates_control_points_exactly() -> None:
    rng = np.random.default_rng(0)
    pts = _points(rng)
    vals = np.column_stack([np.sin(pts[:, 0] / 300), pts[:, 1] ** 1.5 / 100])
    tps = ThinPlateSpline.fit(pts, vals)
    np.testing.assert_allclose(tps(pts), vals, atol=1e-8)


def test_reproduces_affine_maps_everywhere() -> None:
    rng = np.random.default_rng(1)
    pts = _points(rng)
    affine = np.array([[2.0, -0.5], [0.3, 1.2]])
    tps = ThinPlateSpline.fit(pts, pts @ affine + [5.0, -7.0])
    probe = rng.uniform(-200, 1200, (500, 2))
    np.testing.assert_allclose(tps(probe), probe @ affine + [5.0, -7.0], atol=1e-6)


def test_leave_one_out_closed_form_matches_refitting() -> None:
    rng = np.random.default_rng(2)
    pts = _points(rng, 25)
    vals = np.column_stack([np.cos(pts[:, 0] / 200) * 50, pts[:, 0] * pts[:, 1] / 1e3])
    loo = ThinPlateSpline.fit(pts, vals).loo_residuals()
    for i in range(len(pts)):
        keep = np.arange(len(pts)) != i
        refit = ThinPlateSpline.fit(pts[keep], vals[keep])
        np.testing.assert_allclose(loo[i], vals[i] - refit(pts[i : i + 1])[0], rtol=1e-6,
                                   atol=1e-8)
