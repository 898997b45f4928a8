"""Turning model outputs into :class:`TilePrediction` records.

- Semantic (UNet) probabilities ``[K, H, W]``: the raster is the per-pixel argmax; the
  oil confidence is the summed oil probability ``1 − p(background)`` and the candidate
  class the most probable oil class; instances are the connected components of each
  predicted class, scored by the mean probability of that class over the component.
- Instances (Mask R-CNN, COCO results): masks are binarised at ``mask_threshold``;
  instances scoring at least ``score_threshold`` are painted in ascending score order,
  so where they overlap the highest score wins; a pixel's confidence is the highest
  score of the instances covering it (every instance, whatever its score), so the
  threshold sweep at ``score_threshold`` reproduces the raster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cerulean_eval.components import label_components
from cerulean_eval.records import PredInstance, TilePrediction
from cerulean_infer import region_boxes
from cerulean_tiling.arrays import Float32Array, UInt8Array


def from_probabilities(probabilities: Float32Array) -> TilePrediction:
    """A tile prediction from softmax probabilities ``[K, H, W]``."""
    if probabilities.ndim != 3 or probabilities.shape[0] < 2:
        raise ValueError(f"expected probabilities [K, H, W] with K ≥ 2, "
                         f"got {probabilities.shape}")
    raster = np.argmax(probabilities, axis=0).astype(np.uint8)
    confidence = (1.0 - probabilities[0]).astype(np.float32)
    candidate = (np.argmax(probabilities[1:], axis=0) + 1).astype(np.uint8)
    components = components_of(raster, probabilities)
    return TilePrediction(raster, components, components, confidence, candidate)


def components_of(raster: UInt8Array,
                  probabilities: Float32Array | None) -> tuple[PredInstance, ...]:
    """The connected components of a class raster as instances.

    Each component's score is the mean probability of its class over its pixels, or
    1.0 without probabilities.
    """
    labels, n = label_components(raster)
    if n == 0:
        return ()
    flat = labels.reshape(-1)
    classes = np.zeros(n + 1, dtype=np.int64)
    classes[flat] = raster.reshape(-1)
    sizes = np.bincount(flat, minlength=n + 1)
    if probabilities is None:
        scores = np.ones(n + 1)
    else:
        own = np.take_along_axis(probabilities, raster[None].astype(np.intp), axis=0)[0]
        sums = np.bincount(flat, weights=own.reshape(-1).astype(np.float64), minlength=n + 1)
        scores = sums / np.maximum(sizes, 1)
    boxes = region_boxes(labels, n)
    shape = (int(raster.shape[0]), int(raster.shape[1]))
    out = []
    for k in range(1, n + 1):
        r0, c0, r1, c1 = (int(v) for v in boxes[k])
        patch = labels[r0:r1, c0:c1] == k
        out.append(PredInstance(int(classes[k]), float(scores[k]), patch, (r0, c0), shape))
    return tuple(out)


def from_instances(instances: Sequence[PredInstance], shape: tuple[int, int],
                   score_threshold: float) -> TilePrediction:
    """A tile prediction from instances (painted in ascending score order)."""
    raster = np.zeros(shape, dtype=np.uint8)
    confidence = np.zeros(shape, dtype=np.float32)
    candidate = np.ones(shape, dtype=np.uint8)
    for inst in sorted(instances, key=lambda i: i.score):
        if inst.shape != shape:
            raise ValueError(f"instance mask {inst.shape} is not the tile's {shape}")
        window, patch = inst.window, inst.patch
        if inst.score >= score_threshold:
            raster[window][patch] = inst.label
        confidence[window][patch] = inst.score
        candidate[window][patch] = inst.label
    kept = tuple(i for i in instances if i.score >= score_threshold)
    return TilePrediction(raster, tuple(instances), kept, confidence, candidate)


def from_raster(raster: UInt8Array) -> TilePrediction:
    """A tile prediction from a class raster alone (components score 1.0)."""
    components = components_of(raster, None)
    return TilePrediction(raster, components, components)


__all__ = ["components_of", "from_instances", "from_probabilities", "from_raster"]
