"""Shape properties of an instance mask from its image moments.

With (r, c) the row and column of each mask pixel, the centroid (r̄, c̄) and the
second central moments μ20 = Σ(r − r̄)², μ02 = Σ(c − c̄)², μ11 = Σ(r − r̄)(c − c̄), the
inertia tensor of the region (per pixel) is::

    T = [[ μ02, −μ11],
         [−μ11,  μ20]] / area

Its eigenvalues λ1 ≥ λ2 are the variances of the region along its principal axes. The
ellipse with the same second moments has axis lengths 4·√λ1 (major) and 4·√λ2
(minor), eccentricity √(1 − λ2/λ1), and its major axis makes the angle
½·atan2(−2·T01, T11 − T00) with the row axis (radians in [−π/2, π/2]). These are the
definitions of scikit-image's ``regionprops``, computed here without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from cerulean_tiling.arrays import BoolArray


@dataclass(frozen=True)
class RegionProps:
    """Shape of one instance mask (pixel units; orientation in radians)."""

    area: int
    bbox_area: int
    major_axis_length: float
    minor_axis_length: float
    eccentricity: float
    orientation: float


PROPERTY_NAMES = ("area", "bbox_area", "major_axis_length", "minor_axis_length",
                  "eccentricity", "orientation")


@njit(cache=True)
def mask_moments(mask: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """Area, centroid, central moments and bounding box of a 2-D mask in two passes.

    Returns:
        float64 array ``[area, r̄, c̄, μ20, μ02, μ11, rmin, rmax, cmin, cmax]``; the
        box entries are −1 for an empty mask. Two passes (centroid first) keep the
        central moments exact for large regions where Σr² − n·r̄² would cancel.
    """
    rows, cols = mask.shape
    n = 0.0
    sum_r = 0.0
    sum_c = 0.0
    rmin, rmax, cmin, cmax = rows, -1, cols, -1
    for r in range(rows):
        for c in range(cols):
            if mask[r, c]:
                n += 1.0
                sum_r += r
                sum_c += c
                rmin = min(rmin, r)
                rmax = max(rmax, r)
                cmin = min(cmin, c)
                cmax = max(cmax, c)
    out = np.zeros(10)
    if n == 0.0:
        out[6:] = -1.0
        return out
    rbar = sum_r / n
    cbar = sum_c / n
    mu20 = 0.0
    mu02 = 0.0
    mu11 = 0.0
    for r in range(rmin, rmax + 1):
        for c in range(cmin, cmax + 1):
            if mask[r, c]:
                dr = r - rbar
                dc = c - cbar
                mu20 += dr * dr
                mu02 += dc * dc
                mu11 += dr * dc
    out[0] = n
    out[1] = rbar
    out[2] = cbar
    out[3] = mu20
    out[4] = mu02
    out[5] = mu11
    out[6] = rmin
    out[7] = rmax
    out[8] = cmin
    out[9] = cmax
    return out


def region_props(mask: BoolArray) -> RegionProps:
    """Region properties of a boolean mask (all zero for an empty mask)."""
    m = mask_moments(np.ascontiguousarray(mask, dtype=np.bool_))
    area = int(m[0])
    if area == 0:
        return RegionProps(0, 0, 0.0, 0.0, 0.0, 0.0)
    mu20, mu02, mu11 = m[3] / area, m[4] / area, m[5] / area
    t00, t01, t11 = mu02, -mu11, mu20
    half_trace = (t00 + t11) / 2.0
    spread = math.sqrt(((t00 - t11) / 2.0) ** 2 + t01**2)
    l1 = half_trace + spread
    l2 = max(half_trace - spread, 0.0)
    if t00 == t11:
        # Round (or single-pixel) regions have no major axis; regionprops says ±π/4.
        orientation = -math.pi / 4 if t01 < 0 else math.pi / 4
    else:
        orientation = 0.5 * math.atan2(-2.0 * t01, t11 - t00)
    return RegionProps(
        area=area,
        bbox_area=int((m[7] - m[6] + 1) * (m[9] - m[8] + 1)),
        major_axis_length=4.0 * math.sqrt(l1),
        minor_axis_length=4.0 * math.sqrt(l2),
        eccentricity=math.sqrt(1.0 - l2 / l1) if l1 > 0 else 0.0,
        orientation=orientation,
    )


__all__ = ["PROPERTY_NAMES", "RegionProps", "mask_moments", "region_props"]
