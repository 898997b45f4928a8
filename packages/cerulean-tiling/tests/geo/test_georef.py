"""Georeferencing accuracy against a known, smooth, non-affine radar → lon/lat mapping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cerulean_tiling.config import TilingConfig
from cerulean_tiling.geo.gcps import metres_per_degree
from cerulean_tiling.geo.georef import Georeference
from cerulean_tiling.geo.grid import TileGrid, Window
from cerulean_tiling.geo.warp import STEP, source_grid
from cerulean_tiling.synthetic.geometry import FULL_SIZE, Footprint

OUTPUT_PIXEL_DEG = 180 / 2**9 / 512


@pytest.fixture(scope="module")
def full_scene() -> tuple[Footprint, Georeference]:
    footprint = Footprint(55.2, 25.6, -11.0, *FULL_SIZE)
    gcps = footprint.gcps().scaled_to(*FULL_SIZE)
    return footprint, Georeference.from_gcps(gcps)


def _error_px(lon: np.ndarray, lat: np.ndarray, lon_t: np.ndarray, lat_t: np.ndarray) -> np.ndarray:
    """Distance in output pixels, measured on the ground (lon shrinks with cos lat)."""
    m_lon, m_lat = metres_per_degree(float(np.mean(lat_t)))
    pixel_m = OUTPUT_PIXEL_DEG * m_lat
    return np.hypot((lon - lon_t) * m_lon, (lat - lat_t) * m_lat) / pixel_m


def test_forward_spline_follows_the_true_mapping(
    full_scene: tuple[Footprint, Georeference],
) -> None:
    footprint, georef = full_scene
    rng = np.random.default_rng(0)
    cols, rows = rng.uniform(0, FULL_SIZE[0], 5000), rng.uniform(0, FULL_SIZE[1], 5000)
    lon, lat = georef.to_lonlat(cols, rows)
    assert _error_px(lon, lat, *footprint.lonlat(cols, rows)).max() < 1.0


def test_affine_and_polynomial_fits_are_not_good_enough(
    full_scene: tuple[Footprint, Georeference],
) -> None:
    """The synthetic grid is realistic: simple models miss by many pixels at the corners."""
    residuals = {r.model: r for r in full_scene[1].residuals()}
    pixel_m = OUTPUT_PIXEL_DEG * metres_per_degree(25.6)[1]
    assert residuals["affine"].max_m / pixel_m > 10
    assert residuals["polynomial-2"].max_m / pixel_m > 1.5
    assert residuals["tps-leave-one-out"].max_m < residuals["polynomial-2"].max_m


def test_inverse_spline_round_trips(full_scene: tuple[Footprint, Georeference]) -> None:
    footprint, georef = full_scene
    rng = np.random.default_rng(1)
    cols, rows = rng.uniform(0, FULL_SIZE[0], 5000), rng.uniform(0, FULL_SIZE[1], 5000)
    lon, lat = footprint.lonlat(cols, rows)
    back_c, back_r = georef.to_pixel(lon, lat)
    # Source pixels are ~40 m; one output pixel (~76 m) is about 1.9 source pixels.
    assert np.hypot(back_c - cols, back_r - rows).max() < 1.0


def test_coarse_source_grid_matches_exact_spline(
    full_scene: tuple[Footprint, Georeference],
) -> None:
    """The warp's interpolated lookup equals the spline at every output pixel (≪ 1 px)."""
    _, georef = full_scene
    grid = TileGrid(TilingConfig(), georef.bounds)
    window = Window(grid.mosaic.row + 700, grid.mosaic.col + 900, 300, 260)
    coarse_c, coarse_r = source_grid(georef, grid.lattice, window)
    rows, cols = np.mgrid[0 : window.height, 0 : window.width]
    a, b = rows // STEP, cols // STEP
    fa, fb = (rows - a * STEP) / STEP, (cols - b * STEP) / STEP

    def interp(g: np.ndarray) -> np.ndarray:
        return ((1 - fa) * ((1 - fb) * g[a, b] + fb * g[a, b + 1])
                + fa * ((1 - fb) * g[a + 1, b] + fb * g[a + 1, b + 1]))

    lon = grid.lattice.x0 + (window.col + cols + 0.5) * grid.lattice.res
    lat = grid.lattice.y0 - (window.row + rows + 0.5) * grid.lattice.res
    exact_c, exact_r = georef.to_pixel(lon, lat)
    err = np.hypot(interp(coarse_c) - exact_c, interp(coarse_r) - exact_r)
    assert err.max() < 0.05


def test_footprint_is_the_closed_ccw_outline_on_the_bounds(
    full_scene: tuple[Footprint, Georeference],
) -> None:
    _, georef = full_scene
    ring = georef.footprint(samples=8)
    assert len(ring) == 4 * 8 + 1 and ring[0] == ring[-1]
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert area2 > 0  # counter-clockwise, as RFC 7946 outer rings
    lon, lat = np.array(ring).T
    west, south, east, north = georef.bounds
    assert lon.min() >= west - 1e-4 and lon.max() <= east + 1e-4
    assert lat.min() >= south - 1e-4 and lat.max() <= north + 1e-4
    # The ring's corners are the raster corners, mapped through the georeference.
    corners = np.array([[0, 0], [georef.width, 0], [georef.width, georef.height],
                        [0, georef.height]], dtype=float)
    expected = np.column_stack(georef.to_lonlat(corners[:, 0], corners[:, 1]))
    for corner in expected:
        assert np.min(np.hypot(lon - corner[0], lat - corner[1])) < 1e-9
