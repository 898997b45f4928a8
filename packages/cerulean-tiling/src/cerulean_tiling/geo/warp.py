"""Warping radar-geometry rasters onto the lattice, through a scene's georeference.

For every output pixel we need the source pixel it comes from: the inverse spline
evaluated at the output pixel's centre. Evaluating the spline at millions of pixels
would cost O(pixels × GCPs); instead it is evaluated on a coarse grid of output pixels
(every ``STEP`` pixels) and interpolated bilinearly in between. The spline is smooth
on that scale (a 16-pixel cell spans ~1.2 km), so the interpolation error is orders of
magnitude below a pixel — tests compare against the exact spline.

Kernels are numba: the background is resampled bilinearly, masks by a majority vote of
nearest-neighbour sub-samples, each only over the output window that covers its source extent.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cerulean_tiling.arrays import BoolArray, FloatArray, UInt8Array
from cerulean_tiling.geo.georef import Georeference
from cerulean_tiling.geo.grid import Lattice, Window

STEP = 16
MASK_SUBSAMPLES = 3


def source_grid(
    georef: Georeference, lattice: Lattice, window: Window, step: int = STEP
) -> tuple[FloatArray, FloatArray]:
    """Source (col, row) at every ``step``-th output pixel centre of ``window``.

    Returns two arrays of shape ((h-1)//step + 2, (w-1)//step + 2); node (a, b) is
    output pixel (a·step, b·step), so every output pixel has all four corners of its
    node cell.
    """
    n_r = (window.height - 1) // step + 2
    n_c = (window.width - 1) // step + 2
    rows = window.row + np.arange(n_r) * step + 0.5
    cols = window.col + np.arange(n_c) * step + 0.5
    lon = lattice.x0 + cols * lattice.res
    lat = lattice.y0 - rows * lattice.res
    lon_g, lat_g = np.meshgrid(lon, lat)
    src_c, src_r = georef.to_pixel(lon_g, lat_g)
    return np.ascontiguousarray(src_c), np.ascontiguousarray(src_r)


def warp_image(
    image: UInt8Array, georef: Georeference, lattice: Lattice, window: Window
) -> UInt8Array:
    """Bilinearly resample ``image`` (radar geometry) onto ``window``; 0 outside it."""
    grid_c, grid_r = source_grid(georef, lattice, window)
    out = np.zeros((window.height, window.width), dtype=np.uint8)
    _remap_bilinear(image, grid_c, grid_r, STEP, out)
    return out


def warp_mask(
    mask: BoolArray, offset: tuple[int, int], georef: Georeference, lattice: Lattice,
    window: Window,
) -> BoolArray:
    """Resample a mask crop whose top-left is source pixel ``offset`` onto ``window``.

    Each output pixel takes the majority vote of 3×3 nearest-neighbour samples: plain
    nearest sampling of slicks a few pixels wide aliases (whole stretches of a thin
    track drop out or double up depending on phase), shifting instance centroids by up
    to ~1 output pixel; the vote tracks the area actually covered.
    """
    grid_c, grid_r = source_grid(georef, lattice, window)
    out = np.zeros((window.height, window.width), dtype=np.bool_)
    _remap_votes(mask, offset[0], offset[1], grid_c, grid_r, STEP, MASK_SUBSAMPLES, out)
    return out


@njit(cache=True, nogil=True)
def _cell(grid, a, b, fa, fb):  # type: ignore[no-untyped-def]
    """Bilinear value inside node cell (a, b) of a coarse grid at fractions (fa, fb)."""
    return ((1 - fa) * ((1 - fb) * grid[a, b] + fb * grid[a, b + 1])
            + fa * ((1 - fb) * grid[a + 1, b] + fb * grid[a + 1, b + 1]))


@njit(cache=True, nogil=True)
def _remap_bilinear(src, grid_c, grid_r, step, out):  # type: ignore[no-untyped-def]
    height, width = out.shape
    src_h, src_w = src.shape
    inv = 1.0 / step
    for i in range(height):
        a = i // step
        fa = (i - a * step) * inv
        for j in range(width):
            b = j // step
            fb = (j - b * step) * inv
            x = _cell(grid_c, a, b, fa, fb)
            y = _cell(grid_r, a, b, fa, fb)
            if x < 0.0 or y < 0.0 or x >= src_w or y >= src_h:
                continue
            # Pixel centres sit at +0.5; neighbours are clamped at the raster edge.
            xs = x - 0.5
            ys = y - 0.5
            x0 = int(np.floor(xs))
            y0 = int(np.floor(ys))
            tx = xs - x0
            ty = ys - y0
            x1 = min(x0 + 1, src_w - 1)
            y1 = min(y0 + 1, src_h - 1)
            x0 = max(x0, 0)
            y0 = max(y0, 0)
            v = ((1 - ty) * ((1 - tx) * src[y0, x0] + tx * src[y0, x1])
                 + ty * ((1 - tx) * src[y1, x0] + tx * src[y1, x1]))
            out[i, j] = np.uint8(min(v + 0.5, 255.0))


@njit(cache=True, nogil=True)
def _remap_votes(src, row_off, col_off, grid_c, grid_r, step, sub, out):  # type: ignore[no-untyped-def]
    """Each output pixel takes the majority of ``sub``×``sub`` nearest-neighbour samples.

    Coarse-grid nodes sit at output pixel centres; a sub-sample at (i + (a+½)/sub,
    j + (b+½)/sub) in pixel-corner units is node coordinate ((i + (a+½)/sub − ½)/step,
    …), interpolated (or linearly extrapolated at the window edge) from its node cell.
    """
    height, width = out.shape
    src_h, src_w = src.shape
    last_a = grid_c.shape[0] - 2
    last_b = grid_c.shape[1] - 2
    need = (sub * sub) // 2 + 1
    for i in range(height):
        for j in range(width):
            hits = 0
            for sa in range(sub):
                u = (i + (sa + 0.5) / sub - 0.5) / step
                a = min(max(int(np.floor(u)), 0), last_a)
                fa = u - a
                for sb in range(sub):
                    v = (j + (sb + 0.5) / sub - 0.5) / step
                    b = min(max(int(np.floor(v)), 0), last_b)
                    fb = v - b
                    x = _cell(grid_c, a, b, fa, fb)
                    y = _cell(grid_r, a, b, fa, fb)
                    c = int(np.floor(x)) - col_off
                    r = int(np.floor(y)) - row_off
                    if 0 <= r < src_h and 0 <= c < src_w and src[r, c]:
                        hits += 1
            out[i, j] = hits >= need
