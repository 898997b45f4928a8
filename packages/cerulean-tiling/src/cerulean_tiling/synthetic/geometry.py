"""The known geometry of a synthetic scene: a smooth, non-affine radar → lon/lat mapping.

A tilted swath whose ground-range spacing grows across track, with a slow along-track
wobble, on an ellipsoid where a degree of longitude shrinks with latitude: a real GCP
grid's behaviour, with the exact answer at hand. The GCP grid refers to a GRD
:data:`GRD_FACTOR` times the size of the PNGs, as real reduced copies do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cerulean_tiling.arrays import FloatArray
from cerulean_tiling.geo.gcps import GCPSet, metres_per_degree

FULL_SIZE = (6458, 4181)
"""Background.png size of a full scene (a 1/4 copy of a GRD)."""
GRD_FACTOR = 4
PIXEL_M = 40.0


@dataclass(frozen=True)
class Footprint:
    """Known radar → lon/lat mapping of a synthetic scene.

    Radar pixel (col, row) → local metres: along track ``row·pixel``, across track
    ``col·pixel·(1 + stretch·col/width)`` (ground-range spacing grows across the swath)
    plus a slow along-track sinusoid (``wobble``), rotated by ``heading`` degrees, then
    to lon/lat with latitude-dependent metres per degree. Smooth but not affine, like a
    real GCP grid.
    """

    lon0: float
    lat0: float
    heading: float
    width: int
    height: int
    pixel_m: float = PIXEL_M
    stretch: float = 0.06
    wobble: float = 0.0015

    def lonlat(self, cols: FloatArray, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        cols = np.asarray(cols, dtype=np.float64)
        rows = np.asarray(rows, dtype=np.float64)
        # Curvature terms are set per full swath (FULL_SIZE), so a small scene is a crop of
        # realistic geometry rather than a whole swath squeezed into few pixels.
        swath_w, swath_h = FULL_SIZE
        across = (cols - self.width / 2) * self.pixel_m * (1 + self.stretch * cols / swath_w)
        along = (rows - self.height / 2) * self.pixel_m
        # Attitude steering wobble: a slow sinusoid no low-order polynomial follows.
        across = across + self.wobble * swath_h * self.pixel_m * np.sin(
            3.0 * np.pi * rows / swath_h)
        theta = math.radians(self.heading)
        east = across * math.cos(theta) + along * math.sin(theta)
        north = -across * math.sin(theta) - along * math.cos(theta)
        _, m_lat = metres_per_degree(self.lat0)
        lat = self.lat0 + north / m_lat
        m_lon, _ = metres_per_degree(lat)
        return self.lon0 + east / m_lon, lat

    def gcps(self, n_cols: int = 21, n_rows: int = 10, source: str = "synthetic") -> GCPSet:
        """A regular GCP grid in the coordinates of the full GRD (GRD_FACTOR × the PNG)."""
        w, h = self.width * GRD_FACTOR, self.height * GRD_FACTOR
        cols, rows = np.meshgrid(np.linspace(0, w, n_cols), np.linspace(0, h, n_rows))
        lon, lat = self.lonlat(cols.ravel() / GRD_FACTOR, rows.ravel() / GRD_FACTOR)
        return GCPSet(rows.ravel(), cols.ravel(), lon, lat, w, h, source)


__all__ = ["FULL_SIZE", "GRD_FACTOR", "PIXEL_M", "Footprint"]
