"""Soft-mask similarity and the in-class mask NMS of Mask R-CNN detections on one tile.

The similarity is the service's soft Dice of two probability masks ``u`` and ``v``::

    dice(u, v) = 2 · Σ √(u·v) / Σ (u + v)

1 for identical binary masks, 0 for disjoint ones; on soft masks the square root keeps
a confident mask from being "similar" to a faint one that merely covers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from cerulean_infer.records import InstancePrediction


@njit(cache=True, nogil=True)
def _dice_kernel(u: Any, v: Any) -> float:
    both = 0.0
    total = 0.0
    for r in range(u.shape[0]):
        for c in range(u.shape[1]):
            a = np.float64(u[r, c])
            b = np.float64(v[r, c])
            total += a + b
            if a > 0.0 and b > 0.0:
                both += np.sqrt(a * b)
    if total <= 0.0:
        return 0.0
    return 2.0 * both / total


def dice(u: np.ndarray[Any, Any], v: np.ndarray[Any, Any]) -> float:
    """Soft Dice of two (H, W) probability masks (0 when both are empty).

    Raises:
        ValueError: the masks differ in shape.
    """
    if u.shape != v.shape or u.ndim != 2:
        raise ValueError(f"masks must be 2-D and alike, got {u.shape} and {v.shape}")
    return float(_dice_kernel(np.ascontiguousarray(u), np.ascontiguousarray(v)))


def dice_nms(instances: Sequence[InstancePrediction], thresh: float) -> list[int]:
    """Indices of the instances that survive in-class mask NMS, in input order.

    Walking the instances in the order given, an instance suppresses every later one of
    its class whose Dice with it is above ``thresh`` (the model lists detections by
    descending score, so the later one is the weaker); a suppressed instance suppresses
    nothing. This is the service's rule.
    """
    removed = [False] * len(instances)
    for i, first in enumerate(instances):
        if removed[i]:
            continue
        for j in range(i + 1, len(instances)):
            second = instances[j]
            if removed[j] or second.label != first.label:
                continue
            if dice(first.mask, second.mask) > thresh:
                removed[j] = True
    return [i for i, gone in enumerate(removed) if not gone]


__all__ = ["dice", "dice_nms"]
