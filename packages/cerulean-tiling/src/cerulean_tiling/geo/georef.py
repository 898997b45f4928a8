"""One GCP-based georeference per scene: radar pixels ⇄ lon/lat through thin-plate splines.

Two splines are fitted through the same GCPs, one per direction, as GDAL's GCP_TPS
transformer does: forward (col, row) → (lon, lat) for footprints and layer extents,
inverse (lon, lat) → (col, row) for warping, where every output pixel looks up the
source position it comes from. Longitude is multiplied by cos(latitude) of the scene
centre before fitting so that both axes of the inverse spline's input are in similar
units (the TPS kernel is isotropic).

:meth:`Georeference.residuals` reports how well simpler models fit the GCPs (affine,
2nd-order polynomial) and the TPS leave-one-out residuals, in metres and output pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cerulean_tiling.arrays import FloatArray
from cerulean_tiling.errors import GCPError
from cerulean_tiling.geo.gcps import GCPSet, metres_per_degree
from cerulean_tiling.geo.tps import ThinPlateSpline
from cerulean_tiling.types import Bounds

_EDGE_SAMPLES = 64


@dataclass(frozen=True)
class FitResiduals:
    """Residuals of one model at the GCPs, in metres (max and RMS)."""

    model: str
    max_m: float
    rms_m: float


@dataclass(frozen=True)
class Georeference:
    """Maps between the pixels of one raster and lon/lat, through its GCPs.

    Attributes:
        gcps: the GCPs, in this raster's pixel coordinates.
        forward: TPS (col, row) → (lon, lat).
        inverse: TPS (lon·cos φ0, lat) → (col, row).
        lon_factor: cos φ0 applied to longitudes before the inverse spline.
    """

    gcps: GCPSet
    forward: ThinPlateSpline
    inverse: ThinPlateSpline
    lon_factor: float

    @classmethod
    def from_gcps(cls, gcps: GCPSet) -> Georeference:
        """Fit both splines. ``gcps`` must already be scaled to the raster's size.

        Raises:
            GCPError: too few, degenerate, or antimeridian-crossing GCPs.
        """
        gcps.check_coverage()
        if np.ptp(gcps.lon) > 180:
            raise GCPError(f"{gcps.source}: the scene crosses the antimeridian (not supported)")
        lon_factor = math.cos(math.radians(float(np.mean(gcps.lat))))
        pixels = np.column_stack([gcps.cols, gcps.rows])
        geo = np.column_stack([gcps.lon * lon_factor, gcps.lat])
        try:
            forward = ThinPlateSpline.fit(pixels, np.column_stack([gcps.lon, gcps.lat]))
            inverse = ThinPlateSpline.fit(geo, pixels)
        except np.linalg.LinAlgError:
            raise GCPError(
                f"{gcps.source}: GCPs are degenerate (duplicates or collinear)"
            ) from None
        return cls(gcps, forward, inverse, lon_factor)

    @property
    def width(self) -> int:
        return self.gcps.width

    @property
    def height(self) -> int:
        return self.gcps.height

    def to_lonlat(self, cols: FloatArray, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pixel coordinates (GDAL convention, corner at 0,0) → lon, lat."""
        shape = np.shape(cols)
        out = self.forward(np.column_stack([np.ravel(cols), np.ravel(rows)]))
        return out[:, 0].reshape(shape), out[:, 1].reshape(shape)

    def to_pixel(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """lon, lat → pixel coordinates (col, row)."""
        shape = np.shape(lon)
        geo = np.column_stack([np.ravel(lon) * self.lon_factor, np.ravel(lat)])
        out = self.inverse(geo)
        return out[:, 0].reshape(shape), out[:, 1].reshape(shape)

    def region_bounds(self, row0: float, col0: float, row1: float, col1: float) -> Bounds:
        """lon/lat bounds of the pixel rectangle [row0, row1) × [col0, col1).

        The map is smooth and nearly affine at this scale, so its extremes over a
        rectangle lie on the rectangle's edges, which are sampled densely.
        """
        t = np.linspace(0.0, 1.0, _EDGE_SAMPLES)
        cols = np.concatenate([col0 + (col1 - col0) * t, np.full_like(t, col1),
                               col1 - (col1 - col0) * t, np.full_like(t, col0)])
        rows = np.concatenate([np.full_like(t, row0), row0 + (row1 - row0) * t,
                               np.full_like(t, row1), row1 - (row1 - row0) * t])
        lon, lat = self.to_lonlat(cols, rows)
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

    @property
    def bounds(self) -> Bounds:
        """lon/lat bounds of the whole raster."""
        return self.region_bounds(0, 0, self.height, self.width)

    def footprint(self, samples: int = 16) -> list[tuple[float, float]]:
        """The raster outline as a closed lon/lat ring (counter-clockwise)."""
        t = np.linspace(0.0, 1.0, samples, endpoint=False)
        w, h = self.width, self.height
        cols = np.concatenate([w * t, np.full_like(t, w), w * (1 - t), np.zeros_like(t)])
        rows = np.concatenate([np.zeros_like(t), h * t, np.full_like(t, h), h * (1 - t)])
        lon, lat = self.to_lonlat(cols, rows)
        ring = list(zip(lon.tolist(), lat.tolist(), strict=True))
        area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1],
                                                                   strict=True))
        if area2 < 0:
            ring.reverse()
        return [*ring, ring[0]]

    def residuals(self) -> list[FitResiduals]:
        """Residuals of affine, 2nd-order polynomial and TPS (leave-one-out) fits, in metres."""
        g = self.gcps
        m_lon, m_lat = metres_per_degree(float(np.mean(g.lat)))
        target = np.column_stack([g.lon, g.lat])
        out = []
        for name, degree in (("affine", 1), ("polynomial-2", 2)):
            design = _poly_terms(g.cols, g.rows, degree)
            if len(g) < design.shape[1]:
                continue
            coef, *_ = np.linalg.lstsq(design, target, rcond=None)
            out.append(_summary(name, target - design @ coef, m_lon, m_lat))
        out.append(_summary("tps-leave-one-out", self.forward.loo_residuals(), m_lon, m_lat))
        return out


def _poly_terms(x: FloatArray, y: FloatArray, degree: int) -> FloatArray:
    """Design matrix of all monomials x^i y^j with i + j <= degree (scaled for conditioning)."""
    xs, ys = x / max(float(np.ptp(x)), 1.0), y / max(float(np.ptp(y)), 1.0)
    return np.column_stack(
        [xs**i * ys**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    )


def _summary(model: str, residual_deg: FloatArray, m_lon: float, m_lat: float) -> FitResiduals:
    metres = np.hypot(residual_deg[:, 0] * m_lon, residual_deg[:, 1] * m_lat)
    return FitResiduals(model, float(metres.max()), float(np.sqrt((metres**2).mean())))
