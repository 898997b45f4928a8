"""Islands: connected regions of a probability raster, and the hysteresis that picks them.

A slick in a UNet probability raster is a blob whose core is confident and whose rim
fades out. Hysteresis thresholding separates blobs without cutting them up: an island is
a 4-connected region where ``p ≥ low``; it is kept when any of its pixels reaches
``p ≥ high``. Islands are numbered in raster order of their first pixel (the order
``scipy.ndimage.label`` numbers them in), so results do not depend on a set's order.

The labeller numbers regions of equal non-zero value, so it serves class rasters too
(cerulean-eval's instances of a UNet are the 8-connected regions of one predicted class).
The kernels are numba (two-pass union-find labelling), with NumPy references in the
tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from cerulean_tiling.arrays import Int32Array

LabelArray = Int32Array


@njit(cache=True, nogil=True)
def _find(parent: Any, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@njit(cache=True, nogil=True)
def _union(parent: Any, a: int, b: int) -> int:
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra < rb:
        parent[rb] = ra
        return ra
    parent[ra] = rb
    return rb


@njit(cache=True, nogil=True)
def _label_kernel(raster: Any, eight: bool) -> Any:
    height, width = raster.shape
    labels = np.zeros((height, width), dtype=np.int32)
    # Grown by doubling when a raster holds more regions than this.
    parent = np.zeros(max(1024, height * width // 64), dtype=np.int32)
    count = 0
    for r in range(height):
        for c in range(width):
            value = raster[r, c]
            if not value:
                continue
            current = 0
            for dr, dc in ((0, -1), (-1, 0), (-1, -1), (-1, 1)):
                if (dr != 0 and dc != 0) and not eight:
                    continue
                rr = r + dr
                cc = c + dc
                if rr < 0 or cc < 0 or cc >= width or raster[rr, cc] != value:
                    continue
                neighbour = labels[rr, cc]
                if neighbour == 0:
                    continue
                current = neighbour if current == 0 else _union(parent, current, neighbour)
            if current == 0:
                count += 1
                if count >= parent.shape[0]:
                    grown = np.zeros(parent.shape[0] * 2, dtype=np.int32)
                    grown[: parent.shape[0]] = parent
                    parent = grown
                parent[count] = count
                current = count
            labels[r, c] = current
    # Renumber roots in raster order of first appearance.
    final = np.zeros(count + 1, dtype=np.int32)
    total = 0
    for r in range(height):
        for c in range(width):
            provisional = labels[r, c]
            if provisional:
                root = _find(parent, provisional)
                if final[root] == 0:
                    total += 1
                    final[root] = total
                labels[r, c] = final[root]
    return labels, total


def label_regions(raster: np.ndarray[Any, Any], connectivity: int = 4) -> tuple[LabelArray, int]:
    """Number the connected regions of equal non-zero value of a raster.

    Args:
        raster: (H, W) booleans (a mask) or integers (a class raster, where touching
            pixels of different classes are different regions).
        connectivity: 4 (edge neighbours) or 8 (edges and corners).

    Returns:
        (labels, count): int32 (H, W) with 0 where the raster is 0 and 1 … count
        elsewhere, numbered in raster order of each region's first pixel.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    if raster.ndim != 2:
        raise ValueError(f"expected a 2-D raster, got shape {raster.shape}")
    if raster.dtype != np.bool_ and not np.issubdtype(raster.dtype, np.integer):
        raise ValueError(f"expected a boolean or integer raster, got {raster.dtype}")
    labels, count = _label_kernel(np.ascontiguousarray(raster), connectivity == 8)
    return labels, int(count)


@njit(cache=True, nogil=True)
def _boxes_kernel(labels: Any, count: int) -> Any:
    boxes = np.empty((count + 1, 4), dtype=np.int64)
    boxes[:, 0] = labels.shape[0]
    boxes[:, 1] = labels.shape[1]
    boxes[:, 2] = -1
    boxes[:, 3] = -1
    for r in range(labels.shape[0]):
        for c in range(labels.shape[1]):
            k = labels[r, c]
            if k == 0:
                continue
            boxes[k, 0] = min(boxes[k, 0], r)
            boxes[k, 1] = min(boxes[k, 1], c)
            boxes[k, 2] = max(boxes[k, 2], r + 1)
            boxes[k, 3] = max(boxes[k, 3], c + 1)
    return boxes


def region_boxes(labels: LabelArray, count: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    """End-exclusive boxes ``(count + 1, 4)`` as (row0, col0, row1, col1) of the regions
    1 … count of :func:`label_regions`'s labels (row 0 is unused)."""
    return _boxes_kernel(np.ascontiguousarray(labels), count)  # type: ignore[no-any-return]


@njit(cache=True, nogil=True)
def _reaching_kernel(labels: Any, count: int, values: Any, high: float) -> Any:
    keep = np.zeros(count + 1, dtype=np.bool_)
    for r in range(labels.shape[0]):
        for c in range(labels.shape[1]):
            k = labels[r, c]
            if k and values[r, c] >= high:
                keep[k] = True
    return keep


@dataclass(frozen=True, eq=False)
class Islands:
    """Hysteresis islands of a raster.

    Attributes:
        labels: int32 (H, W), 0 outside any island, island numbers 1 … n inside.
        kept: the numbers of the islands that reach the high threshold, ascending.
        boxes: (n + 1, 4) int (row0, col0, row1, col1) end-exclusive box of each island.
    """

    labels: LabelArray
    kept: tuple[int, ...]
    boxes: np.ndarray[Any, np.dtype[np.int64]]

    def window(self, island: int) -> tuple[slice, slice]:
        """Row and column slices of one island's box."""
        r0, c0, r1, c1 = (int(v) for v in self.boxes[island])
        return slice(r0, r1), slice(c0, c1)


def hysteresis(values: np.ndarray[Any, Any], low: float, high: float) -> Islands:
    """4-connected islands where ``values ≥ low``, kept when a pixel reaches ``high``."""
    values = np.ascontiguousarray(values)
    labels, count = label_regions(values >= low, connectivity=4)
    keep = _reaching_kernel(labels, count, values, high)
    kept = tuple(int(k) for k in np.flatnonzero(keep))
    return Islands(labels=labels, kept=kept, boxes=region_boxes(labels, count))


__all__ = ["Islands", "hysteresis", "label_regions", "region_boxes"]
