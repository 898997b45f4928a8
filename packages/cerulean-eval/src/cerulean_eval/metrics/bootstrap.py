"""95% intervals from a seeded bootstrap over scenes.

Pixels and slicks of one scene are not independent samples (one look-alike makes many
false pixels; one missed campaign misses many slicks), but scenes are closer to it. So a
resample draws *scenes* with replacement, as many as were evaluated, sums their
:class:`~cerulean_eval.metrics.scenes.SceneStats` (a scene drawn twice counts twice) and
recomputes every headline number with the same
:func:`~cerulean_eval.metrics.scenes.summarise`; the interval is the 2.5th and 97.5th
percentile of the resampled values.

The resamples are a matrix of scene weights (:func:`resample_weights`) fixed by the seed
and the number of scenes, so two evaluations of the same scenes in the same order can
be resampled together (a paired comparison: the difference of the two numbers on each
resample). With few scenes the interval is wide, and with one scene it is a point: it
says what these scenes can tell, not more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cerulean_eval.metrics.scenes import INTERVAL_METRICS, SceneStats, Totals, summarise
from cerulean_tiling.arrays import Float64Array, Int64Array

LEVEL = 0.95


def resample_weights(scenes: int, resamples: int, seed: int) -> Int64Array:
    """``[resamples, scenes]``: how often each scene is drawn in each resample."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, scenes, size=(resamples, scenes))
    weights: Int64Array = np.stack([np.bincount(row, minlength=scenes) for row in draws])
    return weights


def resampled(names: Sequence[str], scenes: Sequence[SceneStats],
              weights: Int64Array) -> dict[str, Float64Array]:
    """Each interval metric on each resample (``weights`` rows), by name."""
    values: dict[str, list[float]] = {name: [] for name in INTERVAL_METRICS}
    for row in weights:
        summary = summarise(names, Totals.of(scenes, row))
        for name in INTERVAL_METRICS:
            values[name].append(float(getattr(summary, name)))
    return {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals of the headline numbers (metrics.json's ``intervals``)."""

    level: float
    resamples: int
    seed: int
    scenes: int
    bounds: dict[str, tuple[float, float]]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: ``{"pixel_f1": [low, high], ...}`` plus how they were made."""
        return {"level": self.level, "resamples": self.resamples, "seed": self.seed,
                "scenes": self.scenes, "method": "percentile bootstrap over scenes",
                **{name: [round(lo, 6), round(hi, 6)] for name, (lo, hi) in self.bounds.items()}}


def bootstrap(names: Sequence[str], scenes: Sequence[SceneStats], resamples: int,
              seed: int) -> Intervals:
    """Percentile intervals of every interval metric over ``resamples`` scene resamples."""
    weights = resample_weights(len(scenes), resamples, seed)
    values = resampled(names, scenes, weights)
    tail = 100 * (1 - LEVEL) / 2
    bounds = {name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
              for name, v in values.items()}
    return Intervals(LEVEL, resamples, seed, len(scenes), bounds)


__all__ = ["LEVEL", "Intervals", "bootstrap", "resample_weights", "resampled"]
