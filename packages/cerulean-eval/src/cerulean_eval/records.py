"""The records that pass between the evaluation's modules, tile by tile.

:class:`TileTruth` is a dataset tile's truth as scoring needs it. For the diagnostic,
every source of raw tile outputs (a model run through cerulean-infer, COCO results,
class rasters) is turned into one :class:`TilePrediction` per dataset image.

A :class:`TilePrediction` holds:

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

import numpy as np

from cerulean_coco import ImageRecord
from cerulean_tiling.arrays import BoolArray, Float32Array, UInt8Array


@dataclass(frozen=True, eq=False)
class PredInstance:
    """One predicted instance on a tile, its mask stored as the patch it covers.

    A semantic model can yield thousands of small components per tile; keeping each
    as a full-tile mask would cost a tile's worth of memory apiece, so an instance
    holds only the patch under its bounding box and where it sits.

    Attributes:
        label: class index (≥ 1) in the evaluated class table.
        score: confidence 0–1 (box score, or mean class probability of a component).
        patch: boolean mask of the instance's bounding box.
        origin: (row, col) of the patch's top-left pixel in the tile.
        shape: (height, width) of the tile.
        box: (x, y, w, h) COCO box in pixels, or None to take the mask's tight box.
    """

    label: int
    score: float
    patch: BoolArray
    origin: tuple[int, int]
    shape: tuple[int, int]
    box: tuple[float, float, float, float] | None = None

    @classmethod
    def from_mask(cls, label: int, score: float, mask: BoolArray,
                  box: tuple[float, float, float, float] | None = None) -> PredInstance:
        """An instance from a full-tile boolean mask (cropped to its bounding box)."""
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        if not rows.size:
            return cls(label, score, np.zeros((0, 0), dtype=bool), (0, 0), shape, box)
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return cls(label, score, np.ascontiguousarray(mask[r0:r1, c0:c1]), (r0, c0), shape,
                   box)

    @property
    def window(self) -> tuple[slice, slice]:
        """The patch's (rows, cols) slices in the tile."""
        r0, c0 = self.origin
        return slice(r0, r0 + self.patch.shape[0]), slice(c0, c0 + self.patch.shape[1])

    @property
    def mask(self) -> BoolArray:
        """The full-tile boolean mask (made on each access)."""
        full = np.zeros(self.shape, dtype=bool)
        full[self.window] = self.patch
        return full

    @property
    def area(self) -> int:
        """Pixel count."""
        return int(np.count_nonzero(self.patch))

    @property
    def tight_box(self) -> tuple[float, float, float, float]:
        """COCO ``[x, y, w, h]`` of the pixels (``box`` when given)."""
        if self.box is not None:
            return self.box
        if not self.patch.size:
            return (0.0, 0.0, 0.0, 0.0)
        return (float(self.origin[1]), float(self.origin[0]), float(self.patch.shape[1]),
                float(self.patch.shape[0]))


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


@dataclass(frozen=True, eq=False)
class TileTruth:
    """One dataset tile as scoring needs it.

    Attributes:
        image: the dataset's record (bounds, size, name).
        instances: the true instances after the class map, in annotation order.
        raster: their class raster (later annotations on top).
        vv: the tile's VV band (0 = no data), for the valid mask and the examples.
    """

    image: ImageRecord
    instances: tuple[TruthInstance, ...]
    raster: UInt8Array
    vv: UInt8Array

    @property
    def valid(self) -> BoolArray:
        """Pixels with data."""
        valid: BoolArray = self.vv != 0
        return valid


@dataclass(frozen=True, eq=False)
class Example:
    """A tile kept for the examples grid: its served slicks painted against its truth."""

    name: str
    score: float
    image: UInt8Array
    truth: UInt8Array
    prediction: UInt8Array


__all__ = ["Example", "PredInstance", "TilePrediction", "TileTruth", "TruthInstance"]
