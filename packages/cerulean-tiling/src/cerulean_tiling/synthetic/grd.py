"""A synthetic Sentinel-1 GRD GeoTIFF: real size and layout, simple content.

What inference reads from a real GRD: uint16 pixels in radar geometry (25 000 × 17 000
by default, written in 16-row strips as the GRDs are), no geotransform, ~200 GCPs in
EPSG:4326 on a tilted swath whose ground-range spacing grows across track (10 m pixels,
heading −12°, around 54° E 25° N), zero no-data margins left and right. The content is
sea at 300 with diagonal dark bands at 20 (slick-like, in the middle three fifths of the
rows), so a model that calls dark pixels oil finds slicks. Written strip by strip: the
writer never holds the scene whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cerulean_tiling.geo.gcps import GCPSet, metres_per_degree

GRD_SIZE = (25_000, 17_000)
"""Width and height of a real IW GRD scene, in pixels."""
SEA = 300
DARK = 20
MARGIN = 200
"""Width of the zero no-data margins, in pixels."""


def grd_gcps(width: int, height: int, n_cols: int = 21, n_rows: int = 10,
             pixel_m: float = 10.0) -> GCPSet:
    """The GCP grid of the synthetic swath: ``n_cols`` × ``n_rows`` points over the raster."""
    grid_cols, grid_rows = np.meshgrid(np.linspace(0, width, n_cols),
                                       np.linspace(0, height, n_rows))
    cols, rows = grid_cols.ravel(), grid_rows.ravel()
    across = (cols - width / 2) * pixel_m * (1 + 0.06 * cols / width)
    along = (rows - height / 2) * pixel_m
    theta = np.radians(-12.0)
    east = across * np.cos(theta) + along * np.sin(theta)
    north = -across * np.sin(theta) - along * np.cos(theta)
    lat0 = 25.0
    _, m_lat = metres_per_degree(lat0)
    lat = lat0 + north / m_lat
    m_lon, _ = metres_per_degree(lat)
    return GCPSet(rows, cols, 54.0 + east / m_lon, lat, width, height, "synthetic GRD")


def write_synthetic_grd(path: Path, width: int = GRD_SIZE[0],
                        height: int = GRD_SIZE[1]) -> Path:
    """Write the synthetic GRD (see the module docstring) to ``path``; returns ``path``."""
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.windows import Window

    gcps = grd_gcps(width, height)
    points = [GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=0.0)
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    cols = np.arange(width)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="uint16", gcps=points, crs=CRS.from_epsg(4326),
                       blockysize=16) as dst:
        for row in range(0, height, 512):
            rows = np.arange(row, min(row + 512, height))[:, None]
            block = np.full((rows.shape[0], width), SEA, dtype=np.uint16)
            band = np.abs((cols[None, :] + 2 * rows) % 4000 - 2000) < 60
            block[band & (rows > height * 0.2) & (rows < height * 0.8)] = DARK
            block[:, :MARGIN] = 0
            block[:, -MARGIN:] = 0
            dst.write(block, 1, window=Window(0, row, width, block.shape[0]))
    return Path(path)


__all__ = ["GRD_SIZE", "grd_gcps", "write_synthetic_grd"]
