"""Calibrating a model's serving thresholds on validation data.

The service post-processes a UNet with hand-picked thresholds (outline at
``poly_score_thresh`` 0.5, keep islands reaching ``pixel_score_thresh`` 0.9) and a
Mask R-CNN with its own (box score ``bbox_score_thresh``, mask maximum
``pixel_score_thresh``). :func:`calibrate_model` measures instead: it runs the model
**once** over each scene's tiles (:func:`~cerulean_eval.run.predict_scenes`), then, for every
setting of a :class:`Grid`, re-runs only the post-processing — cerulean-infer's
:func:`~cerulean_infer.merge_scene` over the cached outputs, with that setting on top of the
row's thresholds — and scores the slicks with the same
:func:`~cerulean_eval.scoring.score_scene` an evaluation uses. One scene's outputs are in
memory at a time; what is kept is each setting's per-scene statistics
(:class:`~cerulean_eval.metrics.SceneStats`), from which every number is computed by
:func:`~cerulean_eval.metrics.summarise`. Settings that serve a scene the very same slicks
share one scoring.

The model's current setting (its row's thresholds) is always scored too, so the table says
what calibration gains. **Best**: the highest ``instance_f1``; ties go to the higher
``pixel_f1``, then to the setting nearest (Euclidean, over the swept thresholds) the current
one — the data moves the thresholds only as far as it asks — then to the lower values.

For a UNet the sweep skips settings with ``pixel_score_thresh < poly_score_thresh``: an
island kept at the lower value is outlined only where it reaches the higher one, so such a
setting serves the slicks of ``pixel_score_thresh = poly_score_thresh``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cerulean_coco import CocoDataset
from cerulean_eval.config import EvalConfig
from cerulean_eval.document import DataRecord, SourceRecord
from cerulean_eval.errors import ConfigError
from cerulean_eval.evaluation import map_slicks
from cerulean_eval.metrics.bootstrap import Intervals, bootstrap
from cerulean_eval.metrics.scenes import SceneStats, Summary, Totals, summarise
from cerulean_eval.run import PreparedRun, RunOptions, predict_scenes, source_record
from cerulean_eval.scoring import score_scene, truth_slicks
from cerulean_eval.sources import TilePredictor
from cerulean_infer import PostprocessPreset, Slick, merge_scene

SWEEPABLE = ("bbox_score_thresh", "pixel_score_thresh", "poly_score_thresh",
             "pixel_nms_thresh", "poly_nms_thresh")
"""Thresholds a grid may sweep: scores and overlaps, each in 0–1."""

DEFAULT_VALUES: tuple[float, ...] = tuple(round(0.1 * i, 10) for i in range(1, 10))
"""0.1, 0.2, …, 0.9: each default threshold's values."""

DEFAULT_KEYS = {"unet": ("poly_score_thresh", "pixel_score_thresh"),
                "maskrcnn": ("bbox_score_thresh", "pixel_score_thresh")}
"""The thresholds swept by default: the UNet's outline and island-keeping levels, the
Mask R-CNN's box score and mask maximum."""

MAX_KEYS = 2
"""A grid sweeps one or two thresholds, so its table and plot are a line or a grid."""


@dataclass(frozen=True)
class Grid:
    """The threshold values to sweep, by threshold name (one or two names)."""

    values: dict[str, tuple[float, ...]]

    @classmethod
    def default(cls, arch: str) -> Grid:
        """The default grid of a model family (:data:`DEFAULT_KEYS` × 0.1 … 0.9)."""
        return cls({key: DEFAULT_VALUES for key in DEFAULT_KEYS[arch]})

    @classmethod
    def of(cls, arch: str, values: Mapping[str, Sequence[float]]) -> Grid:
        """A checked grid: the default for ``arch`` when ``values`` is empty.

        Raises:
            ConfigError: a threshold that cannot be swept or that ``arch`` lacks, more than
                :data:`MAX_KEYS` thresholds, no value, or a value outside 0–1.
        """
        if not values:
            return cls.default(arch)
        if len(values) > MAX_KEYS:
            raise ConfigError(f"a calibration sweeps one or two thresholds, not "
                              f"{', '.join(values)}")
        known = [k for k in SWEEPABLE if arch == "maskrcnn" or k != "pixel_nms_thresh"]
        for key, vals in values.items():
            if key not in known:
                raise ConfigError(f"--grid {key}: not a threshold a {arch} sweep can set; "
                                  f"known: {', '.join(known)}")
            if not vals:
                raise ConfigError(f"--grid {key}: no values")
            bad = [v for v in vals if not (math.isfinite(v) and 0 <= v <= 1)]
            if bad:
                raise ConfigError(f"--grid {key}: value {bad[0]} is outside 0–1")
        return cls({k: tuple(sorted(set(v))) for k, v in values.items()})

    @property
    def keys(self) -> tuple[str, ...]:
        """The swept thresholds, in order."""
        return tuple(self.values)

    def settings(self, preset: PostprocessPreset) -> list[dict[str, float]]:
        """Every setting of the grid (product order) that is not a duplicate (see the
        module docstring) on top of ``preset``."""
        out = []
        for combo in itertools.product(*self.values.values()):
            setting = dict(zip(self.keys, combo, strict=True))
            if preset.arch == "unet":
                full = {**vars(preset), **setting}
                if full["pixel_score_thresh"] < full["poly_score_thresh"]:
                    continue
            out.append(setting)
        return out


@dataclass(eq=False)
class SettingScore:
    """One setting's thresholds and its per-scene statistics.

    Attributes:
        thresholds: the swept thresholds' values.
        scenes: its statistics per scene, in scene order.
        current: whether this is the model's own setting (its row's thresholds).
        on_grid: whether the setting is one of the grid's (the current one may not be).
    """

    thresholds: dict[str, float]
    scenes: list[SceneStats] = field(default_factory=list)
    current: bool = False
    on_grid: bool = True

    def summary(self, names: Sequence[str]) -> Summary:
        """The headline numbers of this setting over every scene."""
        return summarise(names, Totals.of(self.scenes))


@dataclass(eq=False)
class Calibration:
    """A sweep's result (calibration.json, see :meth:`to_json`).

    Attributes:
        source: the model and how it ran.
        data: the dataset the thresholds were measured on.
        names: the evaluated class names.
        preset: the post-processing the sweep starts from (the row's thresholds).
        merge: ``serving`` or ``ours``.
        config: the scoring settings (match Dice, bootstrap).
        grid: the sweep.
        scores: every scored setting (the grid's, then the current one when off the grid).
        best: index into ``scores`` of the best setting.
        intervals: the best setting's bootstrap intervals over scenes (None without).
        timings: seconds: read, model, postprocess, scoring, total.
    """

    source: SourceRecord
    data: DataRecord
    names: tuple[str, ...]
    preset: PostprocessPreset
    merge: str
    config: EvalConfig
    grid: Grid
    scores: list[SettingScore]
    best: int
    intervals: Intervals | None
    timings: dict[str, float]

    @property
    def best_preset(self) -> PostprocessPreset:
        """The starting preset with the best setting's thresholds."""
        return self.preset.override(**self.scores[self.best].thresholds)

    def to_json(self) -> dict[str, Any]:
        """calibration.json: how, on what, every setting's numbers, and the best."""
        best = self.scores[self.best]
        return {
            "format_version": 1,
            "source": self.source.to_json(),
            "data": self.data.to_json(),
            "classes": list(self.names),
            "postprocess": {"preset": self.preset.name, "arch": self.preset.arch,
                            "merge": self.merge, "start": self.preset.serving_thresholds()},
            "settings": {"match_dice": self.config.match_dice,
                         "bootstrap": self.config.bootstrap, "seed": self.config.seed},
            "grid": {k: list(v) for k, v in self.grid.values.items()},
            "rule": "highest instance_f1; ties: higher pixel_f1, then nearest the current "
                    "setting, then lower values",
            "best": {"thresholds": dict(best.thresholds),
                     "summary": best.summary(self.names).to_json(),
                     "intervals": self.intervals.to_json() if self.intervals else None},
            "current": next(({"thresholds": dict(s.thresholds),
                              "summary": s.summary(self.names).to_json()}
                             for s in self.scores if s.current), None),
            "results": [{"thresholds": dict(s.thresholds), "current": s.current,
                         "on_grid": s.on_grid, "best": i == self.best,
                         "summary": s.summary(self.names).to_json(),
                         "scenes": [stats.to_json() for stats in s.scenes]}
                        for i, s in enumerate(self.scores)],
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def best_index(scores: Sequence[SettingScore], names: Sequence[str]) -> int:
    """The best setting (see the module docstring for the rule and its ties)."""
    current = next((s.thresholds for s in scores if s.current), None)

    def key(i: int) -> tuple[float, ...]:
        summary = scores[i].summary(names)
        thresholds = scores[i].thresholds
        distance = (math.dist([thresholds[k] for k in thresholds],
                              [current[k] for k in thresholds]) if current else 0.0)
        return (-round(summary.instance_f1, 12), -round(summary.pixel_f1, 12), distance,
                *thresholds.values())

    return min(range(len(scores)), key=key)


def calibrate_model(predictor: TilePredictor, dataset: CocoDataset, prepared: PreparedRun,
                    config: EvalConfig, options: RunOptions, grid: Grid) -> Calibration:
    """Sweep ``grid`` over the model's served slicks on ``dataset`` (module docstring)."""
    started = time.perf_counter()
    preset = prepared.postprocess.preset
    arch, names = prepared.model.manifest.arch, prepared.classes.names
    scores = [SettingScore(s) for s in grid.settings(preset)]
    current = {k: float(getattr(preset, k)) for k in grid.keys}
    own = next((s for s in scores if s.thresholds == current), None)
    if own is None:
        own = SettingScore(current, on_grid=False)
        scores.append(own)
    own.current = True
    presets = [preset.override(**s.thresholds) for s in scores]
    timings = {"read": 0.0, "model": 0.0, "postprocess": 0.0, "scoring": 0.0}
    for scene in predict_scenes(predictor, dataset, prepared, options, timings):
        truth = truth_slicks(scene.scene_id, scene.tiles)
        scored: dict[tuple[Any, ...], SceneStats] = {}
        for setting, setting_preset in zip(scores, presets, strict=True):
            t0 = time.perf_counter()
            slicks = merge_scene(scene.plan, scene.batches, arch=arch, classes=names,
                                 preset=setting_preset, merge=options.merge).slicks
            timings["postprocess"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            key = _fingerprint(slicks)
            if key not in scored:
                scored[key] = score_scene(scene.scene_id, scene.tiles,
                                          map_slicks(scene.scene_id, slicks),
                                          prepared.classes, config.match_dice, truth).stats
            setting.scenes.append(scored[key])
            timings["scoring"] += time.perf_counter() - t0
    best = best_index(scores, names)
    intervals = (bootstrap(names, scores[best].scenes, config.bootstrap, config.seed)
                 if config.bootstrap else None)
    timings["total"] = time.perf_counter() - started
    return Calibration(source_record(prepared, predictor, options), DataRecord.of(dataset),
                       names, preset, options.merge, config, grid, scores, best, intervals,
                       timings)


def _fingerprint(slicks: Sequence[Slick]) -> tuple[Any, ...]:
    """What scoring reads of a scene's slicks: class, confidence and geometry, in order."""
    return tuple((s.inf_idx, s.machine_confidence, s.geometry.wkb) for s in slicks)


__all__ = ["DEFAULT_KEYS", "DEFAULT_VALUES", "SWEEPABLE", "Calibration", "Grid",
           "SettingScore", "best_index", "calibrate_model"]
