"""The gate's statistics on constructed per-scene statistics whose answer is known.

Each scene holds ten true slicks of one class and a pixel confusion matrix; a model's
scene finds ``found`` of them (and as many pixels), with ``false`` false slicks. Scenes
differ from each other far more than the models differ on one scene, as real scenes do.
"""

from __future__ import annotations

import numpy as np
import pytest

from cerulean_eval.errors import ConfigError
from cerulean_eval.gate import GateSettings, decide
from cerulean_eval.metrics import SceneStats, Totals, summarise

NAMES = ("background", "infra_slick")


def scene(scene_id: str, found: int, false: int, true: int = 10) -> SceneStats:
    """One scene: ``found`` of ``true`` slicks (100 px each) and ``false`` false ones."""
    px = 100
    confusion = np.array([[100_000, false * px], [(true - found) * px, found * px]],
                         dtype=np.int64)

    def counts(n: int) -> np.ndarray:
        return np.array([0, n], dtype=np.int64)

    def km2(n: int) -> np.ndarray:
        return np.array([0.0, float(n)])

    return SceneStats(scene_id, 4, confusion, counts(true), counts(found + false), counts(found),
                      km2(true), km2(found + false), km2(found))


def scenes(found: list[int], false: list[int]) -> list[SceneStats]:
    return [scene(f"S{i:02d}", f, x) for i, (f, x) in enumerate(zip(found, false, strict=True))]


# Twenty scenes of very unequal difficulty: the baseline finds 1 to 9 of 10 slicks.
BASE_FOUND = [1, 9, 3, 7, 5, 2, 8, 4, 6, 9, 1, 5, 3, 7, 2, 8, 6, 4, 9, 5]
BASE_FALSE = [6, 0, 4, 1, 3, 5, 1, 2, 2, 0, 7, 3, 4, 1, 6, 0, 2, 3, 1, 2]


def test_a_clearly_better_candidate_passes() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    # One more slick found and one fewer false on most scenes: small beside the spread
    # between scenes, but consistent, which only a paired comparison can see.
    candidate = scenes([min(f + 1, 10) for f in BASE_FOUND], [max(x - 1, 0) for x in BASE_FALSE])
    verdict = decide(NAMES, candidate, baseline, GateSettings())
    assert verdict.passed and verdict.scenes == 20
    for metric in verdict.metrics:
        assert metric.difference > 0 and metric.lower > 0 and metric.passed
        assert metric.interval[0] == metric.lower <= metric.difference <= metric.interval[1]


def test_a_clearly_worse_candidate_fails() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    candidate = scenes([max(f - 2, 0) for f in BASE_FOUND], [x + 2 for x in BASE_FALSE])
    verdict = decide(NAMES, candidate, baseline, GateSettings())
    assert not verdict.passed
    assert all(m.difference < 0 and m.interval[1] < 0 and not m.passed for m in verdict.metrics)
    assert all(m.worse_share > 0.95 for m in verdict.metrics)
    assert "instance_f1" in verdict.reason and "FAIL" in verdict.line("new", "old")


def test_better_only_within_noise_does_not_pass() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    # Better on a few scenes, worse on a few others: more found overall, by chance.
    shifts = [3, -2, 0, 2, -2, 3, 0, -2, 1, -3, 2, 0, -1, 0, 2, -1, 0, 1, -2, 1]
    candidate = scenes([min(max(f + d, 0), 10) for f, d in zip(BASE_FOUND, shifts, strict=True)],
                       BASE_FALSE)
    verdict = decide(NAMES, candidate, baseline, GateSettings())
    observed = {m.metric: m for m in verdict.metrics}
    assert observed["instance_f1"].difference > 0 and observed["pixel_f1"].difference > 0
    assert observed["instance_f1"].lower < 0 < observed["instance_f1"].interval[1]
    assert not verdict.passed
    # The margin is what a team accepts to lose: wide enough, the same candidate passes.
    lenient = decide(NAMES, candidate, baseline, GateSettings(margin=0.2))
    assert lenient.passed


def test_the_same_model_is_not_worse_and_one_scene_never_passes() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    same = decide(NAMES, baseline, baseline, GateSettings())
    assert same.passed and all(m.difference == m.lower == 0 for m in same.metrics)
    one = decide(NAMES, [scene("S00", 10, 0)], [scene("S00", 1, 5)], GateSettings())
    assert not one.passed and "one scene" in one.reason


def test_observed_values_are_the_summary_of_every_scene_and_the_draws_are_seeded() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    candidate = scenes([min(f + 1, 10) for f in BASE_FOUND], BASE_FALSE)
    settings = GateSettings(metrics=("instance_f1", "slick_recall"), resamples=500, seed=7)
    verdict = decide(NAMES, candidate, baseline, settings)
    expected = summarise(NAMES, Totals.of(candidate))
    got = {m.metric: m for m in verdict.metrics}
    assert got["instance_f1"].candidate == expected.instance_f1
    assert got["slick_recall"].candidate == expected.slick_recall
    assert decide(NAMES, candidate, baseline, settings) == verdict
    other = decide(NAMES, candidate, baseline, GateSettings(resamples=500, seed=8))
    assert other.metrics[0].lower != verdict.metrics[0].lower or other.metrics[0].interval \
        != verdict.metrics[0].interval
    doc = verdict.to_json()
    assert doc["settings"]["seed"] == 7 and doc["metrics"]["slick_recall"]["passed"]


def test_unpaired_scenes_and_bad_settings_are_refused() -> None:
    baseline = scenes(BASE_FOUND, BASE_FALSE)
    with pytest.raises(ValueError, match="paired"):
        decide(NAMES, baseline[::-1], baseline, GateSettings())
    for bad in ({"margin": -0.1}, {"alpha": 0.5}, {"alpha": 0.0}, {"resamples": 10},
                {"metrics": ("accuracy",)}, {"metrics": ()}):
        with pytest.raises(ConfigError):
            GateSettings(**bad)  # type: ignore[arg-type]
