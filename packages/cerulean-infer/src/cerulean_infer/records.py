"""The records that pass between prediction, post-processing and output.

- :class:`InstancePrediction`: one Mask R-CNN detection on one tile, in tile pixels.
- :class:`PlacedInstance`: such a detection with the position of its tile on the scene
  lattice, so instances from overlapping tiles and tilesets can be compared pixel by pixel.
- :class:`TilePredictions`: what the model says about a batch of tiles (UNet
  probabilities or Mask R-CNN instances), as the predictor returns it and
  :func:`cerulean_infer.merging.merge_scene` takes it.
- :class:`Slick`: one output polygon in lon/lat with its class and confidences; a
  GeoJSON Feature is written from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cerulean_tiling.arrays import Float32Array

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon



@dataclass(frozen=True, eq=False)
class InstancePrediction:
    """One detected instance on one tile.

    Attributes:
        label: model class index (1 … len(classes) − 1).
        score: the box score, 0–1.
        box: (x0, y0, x1, y1) in tile pixels.
        mask: float32 (height, width) of the tile, per-pixel probability 0–1.
    """

    label: int
    score: float
    box: tuple[float, float, float, float]
    mask: Float32Array


@dataclass(frozen=True, eq=False)
class PlacedInstance:
    """An instance and the scene-lattice pixel (row, col) of its tile's top-left corner.

    ``tileset`` says which of the offset tilesets the tile belongs to (0 = unshifted).
    """

    instance: InstancePrediction
    row: int
    col: int
    tileset: int = 0


@dataclass(frozen=True)
class TilePredictions:
    """What the model says about a batch of tiles.

    Attributes:
        probabilities: UNet: float32 [B, K, H, W] softmax over ``manifest.classes``,
            oil classes (index ≥ 1) zeroed where channel 0 (VV) is 0 (no data), as the
            service does. None for Mask R-CNN.
        instances: Mask R-CNN: per tile, the raw detections (no thresholds applied).
            None for UNet.
    """

    probabilities: np.ndarray | None = None
    instances: list[list[InstancePrediction]] | None = None


@dataclass(frozen=True, eq=False)
class Slick:
    """One predicted slick: a lon/lat MultiPolygon with its class and confidences.

    Attributes:
        geometry: shapely MultiPolygon in EPSG:4326 (lon, lat).
        inf_idx: model class index of the slick's class.
        class_name: that class's name.
        machine_confidence: the confidence the service ranks by (the median).
        mean_conf, median_conf, max_conf: statistics of the model's probability (UNet)
            or score-weighted mask probability (Mask R-CNN) over the slick's pixels.
        tileset: the offset tileset it came from, where that matters for merging.
        extra: further properties written to the GeoJSON feature.
    """

    geometry: MultiPolygon
    inf_idx: int
    class_name: str
    machine_confidence: float
    mean_conf: float
    median_conf: float
    max_conf: float
    tileset: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


__all__ = ["InstancePrediction", "PlacedInstance", "Slick", "TilePredictions"]
