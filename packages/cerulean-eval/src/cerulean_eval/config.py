"""Evaluation settings: typed data on cerulean-tiling's settings layer, read from TOML,
YAML or JSON, and written into metrics.json next to the numbers they made."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, field_validator

from cerulean_eval.cocoeval import (
    COCO_AREA_RANGES,
    COCO_IOU_THRESHOLDS,
    Backend,
    CocoSettings,
)
from cerulean_eval.errors import ConfigError
from cerulean_eval.metrics.tile_instances import MatchMetric
from cerulean_tiling.settings import Items, Settings

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


def _area_ranges(value: Any) -> Any:
    """``[[name, lower, upper], ...]`` as read from a file → a tuple of triples."""
    if isinstance(value, (list, tuple)):
        return tuple(tuple(item) if isinstance(item, list) else item for item in value)
    return value


class EvalConfig(Settings):
    """How predictions are scored.

    Headline (the served slicks, see :mod:`cerulean_eval.metrics`):

    Attributes:
        match_dice: geodesic polygon Dice at which a predicted slick matches a true one
            (written into the measured row as ``groundtruth_dice_thresh``).
        bootstrap: scene resamples behind the 95% intervals (0: no intervals).
        seed: the resamples' seed (same seed and scenes, same intervals).
        examples: tiles shown for each of best and worst in the examples grid.
        maps: scenes drawn on maps in the report (those with the most true and served
            slicks; 0: none).
        diagnostic: also score the raw per-tile outputs (``diagnostic.tiles``: the
            settings below); off, an evaluation does only what the headline needs.

    Diagnostic (raw per-tile outputs, never a headline number):

    Attributes:
        iou_thresholds: COCOeval mask/box IoU thresholds (0.05 … 0.95).
        area_ranges: COCOeval area ranges ``(name, lower, upper)`` in mask pixels.
        max_detections: detections per image COCOeval considers.
        coco_backend: ``pycocotools`` or ``faster-coco-eval`` (the ``fast`` extra).
        match_metric: ``dice`` or ``iou`` for tile instance matching.
        match_threshold: overlap at which a tile instance matches a true one.
        score_threshold: instance models: lowest raw score painted into the tile raster.
        mask_threshold: instance models: mask probability at which a pixel is in.
        sweep_bins: confidence thresholds of the pixel sweep (0, 1/n, …, (n−1)/n).
    """

    error: ClassVar[type[Exception]] = ConfigError

    match_dice: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    bootstrap: Annotated[int, Field(ge=0, le=100_000)] = 1000
    seed: int = 0
    examples: Annotated[int, Field(ge=0)] = 3
    maps: Annotated[int, Field(ge=0)] = 12
    diagnostic: bool = True
    iou_thresholds: Items[float] = COCO_IOU_THRESHOLDS
    area_ranges: Annotated[tuple[tuple[str, float, float], ...],
                           BeforeValidator(_area_ranges)] = COCO_AREA_RANGES
    max_detections: Annotated[int, Field(ge=1)] = 100
    coco_backend: Backend = "pycocotools"
    match_metric: MatchMetric = "dice"
    match_threshold: Fraction = 0.5
    score_threshold: Fraction = 0.5
    mask_threshold: Fraction = 0.5
    sweep_bins: Annotated[int, Field(ge=2, le=1000)] = 100

    @field_validator("iou_thresholds")
    @classmethod
    def _iou_thresholds(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0.05 - 1e-9 <= t <= 0.95 + 1e-9 for t in value):
            raise ValueError(f"{list(value)} must lie in 0.05–0.95")
        if list(value) != sorted(set(value)):
            raise ValueError(f"{list(value)} must increase")
        return value

    @field_validator("area_ranges")
    @classmethod
    def _area_ranges_all(cls, value: tuple[tuple[str, float, float], ...]
                         ) -> tuple[tuple[str, float, float], ...]:
        if not any(name == "all" for name, _, _ in value):
            raise ValueError("must include one named 'all'")
        return value

    @property
    def coco(self) -> CocoSettings:
        """The COCOeval part of the settings."""
        return CocoSettings(self.iou_thresholds, self.area_ranges, self.max_detections,
                            self.coco_backend)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (thresholds rounded to 6 decimals, as metrics.json holds them)."""
        doc = self.to_dict()
        doc["iou_thresholds"] = [round(t, 6) for t in self.iou_thresholds]
        return doc


__all__ = ["EvalConfig"]
