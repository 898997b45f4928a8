"""Scene probability rasters from tile probabilities: blended (ours) or pasted (serving).

**Blended.** Tiles of the offset tilesets overlap; a tile's prediction is least
reliable near its edges, where the network saw the least context. Each tile's
probabilities are weighted by a separable window ``w(r, c) = h(r)·h(c)`` with
``h(i) = sin²(π (i + ½) / n)`` (a Hann window: 1 in the middle, near 0 at the edges),
summed into the scene raster with the weights summed alongside, and divided at the
end. Where three tilesets shifted by thirds overlap, every pixel is near the middle of
at least one tile, so seams vanish. The raster covers the scene's lattice window only:
float32 K × H × W plus one weight plane (about 150 MB for a whole scene at zoom 9);
tiles are added as they are predicted and never kept.

**Pasted.** What the service does per tileset: tiles copied into one array spanning
that tileset's tiles, later tiles overwriting earlier ones, no blending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from cerulean_tiling import Window

WEIGHT_FLOOR = 1e-3
"""Smallest tile weight: pixels seen only near a tile edge still get that tile's value."""


def hann_weights(size: int) -> np.ndarray:
    """The separable 1-D edge fall-off ``h`` of a tile of ``size`` pixels (float32)."""
    i = np.arange(size, dtype=np.float64)
    h = np.sin(np.pi * (i + 0.5) / size) ** 2
    out: np.ndarray = np.maximum(h, WEIGHT_FLOOR).astype(np.float32)
    return out


@njit(cache=True, nogil=True)
def _accumulate(acc, weight, probs, h_rows, h_cols, r0, c0, tr0, tc0, height, width):  # type: ignore[no-untyped-def]
    classes = probs.shape[0]
    for i in range(height):
        wr = h_rows[tr0 + i]
        for j in range(width):
            w = wr * h_cols[tc0 + j]
            weight[r0 + i, c0 + j] += w
            for k in range(classes):
                acc[k, r0 + i, c0 + j] += w * probs[k, tr0 + i, tc0 + j]


@njit(cache=True, nogil=True)
def _normalise(acc, weight):  # type: ignore[no-untyped-def]
    classes, height, width = acc.shape
    for i in range(height):
        for j in range(width):
            w = weight[i, j]
            if w > 0:
                inv = 1.0 / w
                for k in range(classes):
                    acc[k, i, j] *= inv


class BlendedRaster:
    """Weighted average of overlapping tile probabilities over one lattice window."""

    def __init__(self, classes: int, window: Window, tile_size: int) -> None:
        self.window = window
        self.values = np.zeros((classes, window.height, window.width), dtype=np.float32)
        self.weight = np.zeros((window.height, window.width), dtype=np.float32)
        self._h = hann_weights(tile_size)

    def add(self, probs: np.ndarray, tile: Window) -> None:
        """Add one tile's probabilities (float32 [K, n, n]) at lattice window ``tile``."""
        part = tile.intersection(self.window)
        if part is None:
            return
        _accumulate(self.values, self.weight, np.ascontiguousarray(probs, dtype=np.float32),
                    self._h, self._h, part.row - self.window.row, part.col - self.window.col,
                    part.row - tile.row, part.col - tile.col, part.height, part.width)

    def finish(self) -> np.ndarray:
        """The averaged raster (float32 [K, H, W]; 0 where no tile reached)."""
        _normalise(self.values, self.weight)
        self.weight = np.zeros((0, 0), dtype=np.float32)
        return self.values


class PastedRaster:
    """One tileset's tiles copied into one array, the last tile winning (the service)."""

    def __init__(self, classes: int, window: Window) -> None:
        self.window = window
        self.values = np.zeros((classes, window.height, window.width), dtype=np.float32)

    def add(self, probs: np.ndarray, tile: Window) -> None:
        part = tile.intersection(self.window)
        if part is None:
            return
        rows, cols = part.slices_in(self.window)
        t_rows, t_cols = part.slices_in(tile)
        self.values[:, rows, cols] = probs[:, t_rows, t_cols]


__all__ = ["WEIGHT_FLOOR", "BlendedRaster", "PastedRaster", "hann_weights"]
