"""The synthetic GRD reads back as a GRD: uint16, GCPs only, strips, margins, dark bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from cerulean_tiling import read_gcps_from_raster, write_synthetic_grd
from cerulean_tiling.synthetic.grd import DARK, MARGIN, SEA, grd_gcps


def test_synthetic_grd_is_a_gcp_only_uint16_raster(tmp_path: Path) -> None:
    path = write_synthetic_grd(tmp_path / "grd.tif", width=2500, height=1700)
    with rasterio.open(path) as src:
        assert (src.width, src.height, src.count, src.dtypes[0]) == (2500, 1700, 1, "uint16")
        assert src.transform.is_identity and src.block_shapes[0] == (16, 2500)
        points, crs = src.gcps
        pixels = src.read(1)
    assert crs.to_epsg() == 4326 and len(points) == 210
    assert set(np.unique(pixels).tolist()) == {0, DARK, SEA}
    assert not pixels[:, :MARGIN].any() and not pixels[:, -MARGIN:].any()
    dark_rows = np.flatnonzero((pixels == DARK).any(axis=1))
    assert dark_rows.min() > 1700 * 0.2 and dark_rows.max() < 1700 * 0.8
    gcps = read_gcps_from_raster(path)
    expected = grd_gcps(2500, 1700)
    np.testing.assert_allclose(gcps.lon, expected.lon)
    np.testing.assert_allclose(gcps.lat, expected.lat)
    # A tilted swath about 25 km × 17 km around 54° E 25° N.
    assert 53.8 < gcps.lon.min() < gcps.lon.max() < 54.2
    assert 24.8 < gcps.lat.min() < gcps.lat.max() < 25.2
