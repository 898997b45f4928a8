"""Evaluation settings: typed data, checked on construction, read from TOML, and written
into metrics.json next to the numbers they made."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from cerulean_eval.cocoeval import (
    BACKENDS,
    COCO_AREA_RANGES,
    COCO_IOU_THRESHOLDS,
    Backend,
    CocoSettings,
)
from cerulean_eval.errors import ConfigError
from cerulean_eval.metrics.tile_instances import MatchMetric


@dataclass(frozen=True)
class EvalConfig:
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

    match_dice: float = 0.2
    bootstrap: int = 1000
    seed: int = 0
    examples: int = 3
    maps: int = 12
    diagnostic: bool = True
    iou_thresholds: tuple[float, ...] = COCO_IOU_THRESHOLDS
    area_ranges: tuple[tuple[str, float, float], ...] = COCO_AREA_RANGES
    max_detections: int = 100
    coco_backend: Backend = "pycocotools"
    match_metric: MatchMetric = "dice"
    match_threshold: float = 0.5
    score_threshold: float = 0.5
    mask_threshold: float = 0.5
    sweep_bins: int = 100

    def __post_init__(self) -> None:
        if not self.iou_thresholds or any(not 0.05 - 1e-9 <= t <= 0.95 + 1e-9
                                          for t in self.iou_thresholds):
            raise ConfigError(f"IoU thresholds {list(self.iou_thresholds)} must lie in "
                              "0.05–0.95")
        if list(self.iou_thresholds) != sorted(set(self.iou_thresholds)):
            raise ConfigError(f"IoU thresholds {list(self.iou_thresholds)} must increase")
        if not any(name == "all" for name, _, _ in self.area_ranges):
            raise ConfigError("area ranges must include one named 'all'")
        if self.coco_backend not in BACKENDS:
            raise ConfigError(f"COCO backend {self.coco_backend!r} is not one of "
                              f"{', '.join(BACKENDS)}")
        if self.match_metric not in ("dice", "iou"):
            raise ConfigError(f"match metric {self.match_metric!r} is not dice or iou")
        for name in ("match_dice", "match_threshold", "score_threshold", "mask_threshold"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ConfigError(f"{name} {value} is outside 0–1")
        if not 2 <= self.sweep_bins <= 1000 or self.max_detections < 1 or self.examples < 0 \
                or self.maps < 0:
            raise ConfigError("sweep_bins must be 2–1000, max_detections ≥ 1, examples ≥ 0, "
                              "maps ≥ 0")
        if self.match_dice <= 0:
            raise ConfigError(f"match_dice {self.match_dice} must be above 0 (at 0 any "
                              "touching slicks would match)")
        if not 0 <= self.bootstrap <= 100_000:
            raise ConfigError(f"bootstrap {self.bootstrap} must be 0–100000 resamples")

    @property
    def coco(self) -> CocoSettings:
        """The COCOeval part of the settings."""
        return CocoSettings(self.iou_thresholds, self.area_ranges, self.max_detections,
                            self.coco_backend)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "settings") -> EvalConfig:
        """Settings from plain data (a TOML table, or metrics.json's ``settings``).

        Raises:
            ConfigError: an unknown key or a value of the wrong kind or range.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown setting {unknown[0]!r}; known: "
                              f"{', '.join(sorted(known))}")
        values = dict(data)
        try:
            if "iou_thresholds" in values:
                values["iou_thresholds"] = tuple(float(t) for t in values["iou_thresholds"])
            if "area_ranges" in values:
                values["area_ranges"] = tuple((str(n), float(lo), float(hi))
                                              for n, lo, hi in values["area_ranges"])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return cls(**values)

    @classmethod
    def read_toml(cls, path: Path) -> EvalConfig:
        """Settings from a TOML file (keys as the attributes, e.g. ``match_metric``).

        Raises:
            ConfigError: unreadable TOML, or a bad setting (the message names the file).
        """
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: unreadable settings ({exc})") from None
        try:
            return cls.from_dict(data, str(path))
        except ConfigError as exc:
            message = str(exc)
            raise ConfigError(message if message.startswith(str(path))
                              else f"{path}: {message}") from None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        doc = asdict(self)
        doc["iou_thresholds"] = [round(t, 6) for t in self.iou_thresholds]
        doc["area_ranges"] = [list(r) for r in self.area_ranges]
        return doc


__all__ = ["EvalConfig"]
