"""Connected components of a class raster, so semantic models get instance metrics.

A UNet predicts a class per pixel, not instances. Its instances are the 8-connected
regions of one predicted class (two touching regions of different classes are two
instances), each scored by the mean probability of its class over its pixels.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cerulean_eval.types import Int32Array, Int64Array, UInt8Array


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@njit(cache=True, nogil=True)
def _label(raster: np.ndarray, out: np.ndarray) -> int:
    """Two-pass union-find labelling; ``out`` gets 1 … n (0 for background)."""
    h, w = raster.shape
    parent = np.arange(h * w + 1, dtype=np.int64)
    provisional = np.zeros((h, w), dtype=np.int64)
    nxt = 1
    for r in range(h):
        for c in range(w):
            v = raster[r, c]
            if v == 0:
                continue
            best = 0
            # Already visited neighbours of an 8-connected scan: W, NW, N, NE.
            for dr, dc in ((0, -1), (-1, -1), (-1, 0), (-1, 1)):
                rr = r + dr
                cc = c + dc
                if rr < 0 or cc < 0 or cc >= w or raster[rr, cc] != v:
                    continue
                lab = provisional[rr, cc]
                if best == 0:
                    best = lab
                else:
                    a = _find(parent, best)
                    b = _find(parent, lab)
                    if a != b:
                        if a < b:
                            parent[b] = a
                        else:
                            parent[a] = b
            if best == 0:
                best = nxt
                nxt += 1
            provisional[r, c] = best
    final = np.zeros(nxt, dtype=np.int64)
    count = 0
    for i in range(1, nxt):
        root = _find(parent, i)
        if final[root] == 0:
            count += 1
            final[root] = count
        final[i] = final[root]
    for r in range(h):
        for c in range(w):
            if provisional[r, c]:
                out[r, c] = final[provisional[r, c]]
    return count


def label_components(raster: UInt8Array) -> tuple[Int32Array, int]:
    """Label the 8-connected regions of equal non-zero value.

    Returns:
        (labels, n): int32 labels 1 … n in raster scan order of each region's first
        pixel, 0 where the raster is 0.
    """
    if raster.ndim != 2:
        raise ValueError(f"expected a 2-D raster, got shape {raster.shape}")
    out = np.zeros(raster.shape, dtype=np.int32)
    n = _label(np.ascontiguousarray(raster), out)
    return out, int(n)


@njit(cache=True, nogil=True)
def _boxes(labels: np.ndarray, n: int, out: np.ndarray) -> None:
    h, w = labels.shape
    for k in range(n + 1):
        out[k, 0] = h
        out[k, 1] = 0
        out[k, 2] = w
        out[k, 3] = 0
    for r in range(h):
        for c in range(w):
            k = labels[r, c]
            if k:
                out[k, 0] = min(out[k, 0], r)
                out[k, 1] = max(out[k, 1], r + 1)
                out[k, 2] = min(out[k, 2], c)
                out[k, 3] = max(out[k, 3], c + 1)


def component_boxes(labels: Int32Array, n: int) -> Int64Array:
    """Bounding boxes ``[n + 1, 4]`` of labels 1 … n as (row0, row1, col0, col1), ends
    exclusive (row 0 is unused)."""
    out = np.zeros((n + 1, 4), dtype=np.int64)
    _boxes(labels, n, out)
    return out


__all__ = ["component_boxes", "label_components"]
