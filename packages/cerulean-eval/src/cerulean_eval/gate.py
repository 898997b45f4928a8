"""The promotion gate: is a candidate model not worse than a baseline, beyond noise?

Both models are scored on the same scenes with the same code, so their per-scene
statistics (:class:`~cerulean_eval.metrics.SceneStats`) pair scene by scene. A **paired
bootstrap** draws scenes with replacement — the same draws for both models
(:func:`~cerulean_eval.metrics.resample_weights`) — sums each model's statistics over the
drawn scenes and recomputes each metric with the same
:func:`~cerulean_eval.metrics.summarise` that metrics.json uses; the difference
``candidate − baseline`` on each resample is the distribution of the difference. Pairing
matters: scenes differ far more from each other (a calm sea, a scene of look-alikes) than
two models differ on one scene, and drawing the same scenes for both cancels that.

**Verdict.** For each gated metric (``pixel_f1`` and ``instance_f1`` by default) the lower
bound of the one-sided ``1 − alpha`` interval of the difference is its ``alpha`` quantile
over the resamples. The metric passes when that bound is at least ``−margin``: with
confidence ``1 − alpha`` the candidate is not worse by more than ``margin``. The gate
passes when every gated metric does. With the defaults (``margin`` 0, ``alpha`` 0.05) the
candidate must be at least as good on the scenes' evidence: a clearly better candidate
passes, a clearly worse one fails, and one better only within the noise (its difference's
lower bound below 0) does not pass. A team that accepts a known small loss (a faster
model) says so with ``margin``. With one scene there is no noise to measure: the gate does
not pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cerulean_eval.errors import ConfigError
from cerulean_eval.metrics.bootstrap import resample_weights, resampled
from cerulean_eval.metrics.scenes import INTERVAL_METRICS, SceneStats, Totals, summarise

GATED = ("pixel_f1", "instance_f1")
"""The metrics the gate decides on by default (the serving row's two numbers)."""

GATE_FAILED = 3
"""Exit status of ``cerulean-eval gate`` when the candidate does not pass (1 and 2 stay
bad data and usage)."""


@dataclass(frozen=True)
class GateSettings:
    """How the gate decides.

    Attributes:
        metrics: the metrics that must each pass (of the interval metrics).
        margin: the loss the candidate may have (≥ 0, in the metric's units).
        alpha: one-sided error rate: the bound is the ``alpha`` quantile (0 < alpha < 0.5).
        resamples: paired scene resamples.
        seed: their seed.
    """

    metrics: tuple[str, ...] = GATED
    margin: float = 0.0
    alpha: float = 0.05
    resamples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in INTERVAL_METRICS]
        if unknown or not self.metrics:
            raise ConfigError(f"gate metric {unknown[0] if unknown else '(none)'!r} is not "
                              f"one of {', '.join(INTERVAL_METRICS)}")
        if not 0 <= self.margin < 1:
            raise ConfigError(f"margin {self.margin} must be at least 0 and below 1")
        if not 0 < self.alpha < 0.5:
            raise ConfigError(f"alpha {self.alpha} must lie between 0 and 0.5")
        if not 100 <= self.resamples <= 100_000:
            raise ConfigError(f"{self.resamples} resamples: the gate needs 100–100000")

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"metrics": list(self.metrics), "margin": self.margin, "alpha": self.alpha,
                "resamples": self.resamples, "seed": self.seed,
                "method": "paired percentile bootstrap over scenes, one-sided"}


@dataclass(frozen=True)
class MetricVerdict:
    """One metric of both models, their difference and its verdict.

    Attributes:
        metric: the metric's name.
        candidate, baseline: the observed values on all scenes.
        difference: ``candidate − baseline``.
        lower: the one-sided ``1 − alpha`` lower bound of the difference.
        interval: the two-sided ``1 − 2·alpha`` interval of the difference (its lower end
            is ``lower``).
        worse_share: share of resamples on which the candidate was worse by more than the
            margin.
        passed: ``lower ≥ −margin`` (and more than one scene).
    """

    metric: str
    candidate: float
    baseline: float
    difference: float
    lower: float
    interval: tuple[float, float]
    worse_share: float
    passed: bool

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (numbers rounded to 6 decimals)."""
        return {"metric": self.metric, "candidate": round(self.candidate, 6),
                "baseline": round(self.baseline, 6), "difference": round(self.difference, 6),
                "lower_bound": round(self.lower, 6),
                "interval": [round(v, 6) for v in self.interval],
                "worse_share": round(self.worse_share, 6), "passed": self.passed}


@dataclass(frozen=True)
class Verdict:
    """The gate's decision and what it rests on."""

    settings: GateSettings
    scenes: int
    metrics: tuple[MetricVerdict, ...]
    passed: bool
    reason: str

    def line(self, candidate: str, baseline: str) -> str:
        """The verdict in one line (what the command prints)."""
        parts = [f"{m.metric} {m.difference:+.4f} (lower bound {m.lower:+.4f} "
                 f"{'≥' if m.lower >= -self.settings.margin else '<'} "
                 f"{0.0 - self.settings.margin:+.4f})" for m in self.metrics]
        return (f"gate {'PASS' if self.passed else 'FAIL'}: {candidate} vs {baseline} on "
                f"{self.scenes} scene(s): {'; '.join(parts)}"
                + ("" if self.passed else f" — {self.reason}"))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"passed": self.passed, "verdict": "pass" if self.passed else "fail",
                "reason": self.reason, "scenes": self.scenes,
                "settings": self.settings.to_json(),
                "metrics": {m.metric: m.to_json() for m in self.metrics}}


def decide(names: Sequence[str], candidate: Sequence[SceneStats],
           baseline: Sequence[SceneStats], settings: GateSettings) -> Verdict:
    """The paired bootstrap and the verdict (see the module docstring).

    Args:
        names: the evaluated class names.
        candidate, baseline: each model's statistics of the same scenes, in the same order.
        settings: metrics, margin, alpha, resamples, seed.
    """
    if [s.scene_id for s in candidate] != [s.scene_id for s in baseline]:
        raise ValueError("the two models' scenes are not paired in the same order")
    n = len(candidate)
    weights = resample_weights(n, settings.resamples, settings.seed)
    cand, base = resampled(names, candidate, weights), resampled(names, baseline, weights)
    observed_c = summarise(names, Totals.of(candidate))
    observed_b = summarise(names, Totals.of(baseline))
    verdicts = []
    for metric in settings.metrics:
        diff = cand[metric] - base[metric]
        low = float(np.quantile(diff, settings.alpha))
        high = float(np.quantile(diff, 1 - settings.alpha))
        c, b = float(getattr(observed_c, metric)), float(getattr(observed_b, metric))
        verdicts.append(MetricVerdict(metric, c, b, c - b, low, (low, high),
                                      float(np.mean(diff < -settings.margin)),
                                      n > 1 and low >= -settings.margin))
    failed = [v.metric for v in verdicts if not v.passed]
    if n < 2:
        reason = "one scene cannot tell a difference from noise"
    elif failed:
        reason = (f"{', '.join(failed)}: the candidate may be worse by more than the margin "
                  f"{settings.margin:g} (one-sided {1 - settings.alpha:.0%} bound)")
    else:
        reason = (f"not worse than the baseline by more than {settings.margin:g} on any gated "
                  f"metric (one-sided {1 - settings.alpha:.0%} bounds)")
    return Verdict(settings, n, tuple(verdicts), n > 1 and not failed, reason)


__all__ = ["GATED", "GATE_FAILED", "GateSettings", "MetricVerdict", "Verdict", "decide"]
