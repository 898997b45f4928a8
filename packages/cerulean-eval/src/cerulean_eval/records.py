"""What a source of predictions hands the evaluation for each tile.

Every source (a bundle run through cerulean-infer, COCO results, class rasters) is
turned into one :class:`TilePrediction` per dataset image, so semantic and instance
models are scored by the same code:

- ``raster``: the predicted class index per pixel (pixel metrics, examples);
- ``instances``: every predicted instance, ranked by score (COCO AP);
- ``kept``: the instances that count as detections (those painted into the raster:
  every component of a semantic model, instances at or above the score threshold of
  an instance model), for instance matching and slicks;
- ``confidence`` / ``candidate``: each pixel's oil confidence and the oil class it
  would take above a threshold (the pixel threshold sweep); None when the source has
  no confidences (class rasters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cerulean_eval.types import BoolArray, Float32Array, UInt8Array


@dataclass(frozen=True, eq=False)
class PredInstance:
    """One predicted instance on a tile.

    Attributes:
        label: class index (≥ 1) in the evaluated class table.
        score: confidence 0–1 (box score, or mean class probability of a component).
        mask: boolean mask of the tile's size.
        box: (x, y, w, h) COCO box in pixels, or None to take the mask's tight box.
    """

    label: int
    score: float
    mask: BoolArray
    box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True, eq=False)
class TilePrediction:
    """A model's answer for one tile, in the evaluated class indices."""

    raster: UInt8Array
    instances: tuple[PredInstance, ...]
    kept: tuple[PredInstance, ...]
    confidence: Float32Array | None = None
    candidate: UInt8Array | None = None


@dataclass(frozen=True, eq=False)
class TruthInstance:
    """One ground-truth instance of a tile, after the class preset.

    Attributes:
        label: class index (≥ 1).
        mask: boolean mask of the tile's size.
        annotation_id: the dataset annotation it comes from.
        area: its pixel count (the COCO ``area``).
        bbox: its COCO box ``[x, y, w, h]``.
        segmentation: its compressed RLE (as in the dataset), or None to encode ``mask``.
    """

    label: int
    mask: BoolArray
    annotation_id: int
    area: int
    bbox: tuple[float, float, float, float] | None = None
    segmentation: dict[str, Any] | None = None


__all__ = ["PredInstance", "TilePrediction", "TruthInstance"]
