"""Exact Euclidean distance transform in numba, with anisotropic pixel spacing.

Distances to infrastructure are computed on the lon/lat lattice, whose pixels are not
square on the ground (a degree of longitude shrinks with cos(latitude)). The transform
is separable: a 1-D squared-distance transform along columns, then along rows, each the
lower envelope of parabolas (Felzenszwalb & Huttenlocher), weighted by the pixel
spacing of its axis.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cerulean_tiling.arrays import BoolArray, Float32Array

_FAR = 1e30


def distance_transform(features: BoolArray, spacing: tuple[float, float]) -> Float32Array:
    """Distance from every pixel to the nearest True pixel of ``features``.

    Args:
        features: boolean raster; True marks the objects.
        spacing: (row spacing, column spacing) in output units (e.g. metres).

    Returns:
        float32 distances (ample for metres up to thousands of km; halves the memory of
        the 60 km-padded windows); ``inf`` everywhere when there is no feature.
    """
    if not features.any():
        return np.full(features.shape, np.inf, dtype=np.float32)
    d2 = np.where(features, np.float32(0.0), np.float32(_FAR))
    _edt_axis0(d2, spacing[0] ** 2)
    _edt_axis0(d2.T, spacing[1] ** 2)
    np.sqrt(d2, out=d2)
    return d2


@njit(cache=True, nogil=True)
def _edt_axis0(d2, weight):  # type: ignore[no-untyped-def]
    """In place: d2[:, j] ← min_k d2[k, j] + weight·(i−k)², for every column j."""
    n = d2.shape[0]
    f = np.empty(n)
    v = np.empty(n, dtype=np.int64)
    z = np.empty(n + 1)
    for j in range(d2.shape[1]):
        for i in range(n):
            f[i] = d2[i, j]
        k = 0
        v[0] = 0
        z[0] = -np.inf
        z[1] = np.inf
        for q in range(1, n):
            if f[q] >= _FAR:
                continue
            if f[v[0]] >= _FAR:
                v[0] = q
                continue
            s = ((f[q] + weight * q * q) - (f[v[k]] + weight * v[k] * v[k])) / (
                2.0 * weight * (q - v[k]))
            while s <= z[k]:
                k -= 1
                s = ((f[q] + weight * q * q) - (f[v[k]] + weight * v[k] * v[k])) / (
                    2.0 * weight * (q - v[k]))
            k += 1
            v[k] = q
            z[k] = s
            z[k + 1] = np.inf
        if f[v[0]] >= _FAR:
            continue
        k = 0
        for q in range(n):
            while z[k + 1] < q:
                k += 1
            d2[q, j] = weight * (q - v[k]) * (q - v[k]) + f[v[k]]
