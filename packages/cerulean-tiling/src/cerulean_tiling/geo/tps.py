"""Thin-plate splines: exact interpolation of scattered 2-D control points.

A TPS maps points p ∈ R² to values f(p) ∈ R^k as an affine part plus a sum of radial
terms ``w_i · U(|p − c_i|)`` with ``U(r) = r² log r``, the smoothest (least bending
energy) function that passes through every control point. Sentinel-1 GCP grids are
smooth but not affine (earth curvature, ground-range projection), so an affine or
global polynomial fit misses by kilometres at scene corners while a TPS through the
grid follows it.

Inputs are centred and scaled by one factor (isotropically, so the spline stays a TPS)
to keep the linear system well conditioned. Callers pass coordinates in which both axes
have similar units (pixels; or longitude multiplied by cos(latitude) and latitude).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cerulean_tiling.arrays import FloatArray


@dataclass(frozen=True)
class ThinPlateSpline:
    """A fitted TPS from R² to R^k. Build with :meth:`fit`, evaluate by calling.

    Attributes:
        centres: normalised control points, shape (n, 2).
        weights: radial weights, shape (n, k).
        affine: affine coefficients [1, x, y] → values, shape (3, k).
        shift, scale: normalisation ``(p - shift) * scale``.
        system_inverse: inverse of the (n+3)² interpolation system (for LOO residuals).
    """

    centres: FloatArray
    weights: FloatArray
    affine: FloatArray
    shift: FloatArray
    scale: float
    system_inverse: FloatArray

    @classmethod
    def fit(cls, points: FloatArray, values: FloatArray) -> ThinPlateSpline:
        """Fit the TPS passing exactly through ``values`` at ``points``.

        Args:
            points: control points, shape (n, 2), n >= 3 and not collinear.
            values: values at the control points, shape (n, k) or (n,).

        Raises:
            numpy.linalg.LinAlgError: the points are degenerate (duplicates, collinear).
        """
        pts = np.asarray(points, dtype=np.float64)
        vals = np.asarray(values, dtype=np.float64).reshape(len(pts), -1)
        shift = pts.mean(axis=0)
        spread = float(np.sqrt(((pts - shift) ** 2).sum(axis=1).mean()))
        scale = 1.0 / spread if spread > 0 else 1.0
        centres = (pts - shift) * scale
        n = len(centres)
        system = np.zeros((n + 3, n + 3))
        system[:n, :n] = _kernel(centres, centres)
        poly = np.column_stack([np.ones(n), centres])
        system[:n, n:] = poly
        system[n:, :n] = poly.T
        inverse = np.asarray(np.linalg.inv(system), dtype=np.float64)
        rhs = np.zeros((n + 3, vals.shape[1]))
        rhs[:n] = vals
        coef = inverse @ rhs
        return cls(centres, coef[:n], coef[n:], shift, scale, inverse)

    def __call__(self, points: FloatArray) -> FloatArray:
        """Evaluate at ``points`` (shape (m, 2)); returns shape (m, k)."""
        pts = (np.asarray(points, dtype=np.float64).reshape(-1, 2) - self.shift) * self.scale
        out = np.empty((len(pts), self.weights.shape[1]))
        _evaluate(np.ascontiguousarray(pts), self.centres, self.weights, self.affine, out)
        return out

    def loo_residuals(self) -> FloatArray:
        """Leave-one-out residuals at the control points, shape (n, k).

        For each control point, the value minus what a TPS fitted on all other points
        predicts there. An exact interpolant has zero residuals at its own points, so
        this is the honest measure of how well the grid predicts itself; a large value
        flags a bad GCP. Uses the closed form ``coef_i / (A⁻¹)_ii`` (no refitting).
        """
        n = len(self.centres)
        diag = np.diag(self.system_inverse)[:n]
        return self.weights / diag[:, None]


@njit(cache=True, nogil=True)
def _evaluate(points, centres, weights, affine, out):  # type: ignore[no-untyped-def]
    """out[i] = Σ_j w_j U(|p_i − c_j|) + a_0 + a_1 x_i + a_2 y_i, without an m×n matrix."""
    n, k = weights.shape
    for i in range(points.shape[0]):
        x = points[i, 0]
        y = points[i, 1]
        for d in range(k):
            out[i, d] = affine[0, d] + affine[1, d] * x + affine[2, d] * y
        for j in range(n):
            dx = x - centres[j, 0]
            dy = y - centres[j, 1]
            d2 = dx * dx + dy * dy
            if d2 > 0.0:
                u = 0.5 * d2 * np.log(d2)
                for d in range(k):
                    out[i, d] += weights[j, d] * u


def _kernel(a: FloatArray, b: FloatArray) -> FloatArray:
    """U(r) = r² log r between every row of ``a`` and every row of ``b``."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 0.5 * d2 * np.log(d2)
    k[d2 == 0] = 0.0
    return np.asarray(k, dtype=np.float64)
