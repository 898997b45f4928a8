from __future__ import annotations

import math

import numpy as np
import pytest

from cerulean_coco.describe.regionprops import mask_moments, region_props


def _reference_moments(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return np.array([0, 0, 0, 0, 0, 0, -1, -1, -1, -1], float)
    rbar, cbar = rows.mean(), cols.mean()
    dr, dc = rows - rbar, cols - cbar
    return np.array([rows.size, rbar, cbar, (dr * dr).sum(), (dc * dc).sum(), (dr * dc).sum(),
                     rows.min(), rows.max(), cols.min(), cols.max()], float)


def _ellipse(shape: tuple[int, int], centre: tuple[float, float], semi_major: float,
             semi_minor: float, angle: float) -> np.ndarray:
    """Ellipse whose major axis makes ``angle`` with the row axis (towards columns)."""
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(float)
    dr, dc = rows - centre[0], cols - centre[1]
    along = dr * math.cos(angle) + dc * math.sin(angle)
    across = -dr * math.sin(angle) + dc * math.cos(angle)
    return (along / semi_major) ** 2 + (across / semi_minor) ** 2 <= 1.0


def test_kernel_matches_numpy_reference() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 90, 2))
        mask = rng.random((h, w)) < rng.random() * 0.5
        np.testing.assert_allclose(mask_moments(mask), _reference_moments(mask), atol=1e-6)
    empty = np.zeros((5, 5), bool)
    np.testing.assert_array_equal(mask_moments(empty), _reference_moments(empty))


@pytest.mark.parametrize("angle", [0.0, 0.4, -0.9, math.pi / 2 - 0.05])
def test_ellipse_axes_and_orientation(angle: float) -> None:
    mask = _ellipse((301, 301), (150, 150), 100, 30, angle)
    props = region_props(mask)
    assert props.area == int(mask.sum())
    assert props.major_axis_length == pytest.approx(200, rel=0.02)
    assert props.minor_axis_length == pytest.approx(60, rel=0.03)
    assert props.eccentricity == pytest.approx(math.sqrt(1 - (30 / 100) ** 2), abs=0.01)
    assert props.orientation == pytest.approx(angle, abs=0.02)
    rows, cols = np.nonzero(mask)
    assert props.bbox_area == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)


def test_degenerate_regions() -> None:
    assert region_props(np.zeros((4, 4), bool)).area == 0
    line = np.zeros((10, 10), bool)
    line[2, 1:9] = True
    props = region_props(line)
    assert props.eccentricity == pytest.approx(1.0)
    assert props.minor_axis_length == pytest.approx(0.0)
    assert abs(props.orientation) == pytest.approx(math.pi / 2)
    disc = _ellipse((41, 41), (20, 20), 15, 15, 0.0)
    assert region_props(disc).eccentricity == pytest.approx(0.0, abs=1e-9)
