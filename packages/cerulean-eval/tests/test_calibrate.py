"""Calibration on a constructed case whose best thresholds are known.

The test double is a UNet whose output is a known function of its input tile: it looks
the tile up by its VV band and answers oil probability 0.65 on the tile's true slicks
and 0.45 on a dark look-alike patch the annotators left out (a few per tile), 10⁻⁶
elsewhere. So, through the service's hysteresis:

- ``pixel_score_thresh`` ≤ 0.45 keeps the look-alikes (false slicks);
- 0.45 < ``pixel_score_thresh`` ≤ 0.65 keeps exactly the true slicks;
- above 0.65 (the service's 0.9 among them) keeps nothing;
- ``poly_score_thresh`` above 0.65 outlines nothing.

The best settings are therefore ``poly_score_thresh`` ∈ {0.3, 0.5} × ``pixel_score_thresh``
∈ {0.5, 0.6}, all serving the same slicks; the tie goes to the one nearest the row's
(0.5, 0.9): (0.5, 0.6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cerulean_coco import CocoDataset
from cerulean_eval.calibrate import Grid, SettingScore, best_index, calibrate_model
from cerulean_eval.config import EvalConfig
from cerulean_eval.errors import ConfigError
from cerulean_eval.placement import dataset_scenes
from cerulean_eval.run import RunOptions, evaluate_model, prepare_run
from cerulean_eval.truth import tile_truth
from cerulean_infer import PRESETS, TilePredictions
from cerulean_tiling import ClassMap
from cerulean_tiling.channels import read_tile_channels

TRUE_P, LOOKALIKE_P, FLOOR = 0.65, 0.45, 1e-6
PATCH, CLEARANCE = 12, 6


def lookalikes(raster: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Square patches on valid sea at least CLEARANCE pixels from any true slick."""
    out = np.zeros(raster.shape, dtype=bool)
    h, w = raster.shape
    step = PATCH + 2 * CLEARANCE
    for r in range(CLEARANCE, h - step, step):
        for c in range(CLEARANCE, w - step, step):
            around = (slice(r - CLEARANCE, r + PATCH + CLEARANCE),
                      slice(c - CLEARANCE, c + PATCH + CLEARANCE))
            if not raster[around].any() and valid[around].all():
                out[r:r + PATCH, c:c + PATCH] = True
    return out


class TruthIsOil:
    """A UNet stand-in: each tile's truth at 0.65 and look-alikes at 0.45 (module docstring)."""

    def __init__(self, dataset: CocoDataset, classes: ClassMap) -> None:
        self.manifest: Any = None
        self.tiles_seen = 0
        self.by_vv: dict[bytes, np.ndarray] = {}
        for scene in dataset_scenes(dataset):
            for sample in scene.samples:
                vv = read_tile_channels(sample.path, ("vv",))[0][0]
                truth = tile_truth(sample, classes, vv)
                probs = np.zeros((classes.num_classes, *vv.shape), dtype=np.float32)
                fake = lookalikes(truth.raster, truth.valid)
                oil = np.where(truth.raster > 0, TRUE_P, np.where(fake, LOOKALIKE_P, FLOOR))
                oil = np.where(truth.valid, oil, 0.0)
                label = np.where(truth.raster > 0, truth.raster, 1)
                for k in range(1, classes.num_classes):
                    probs[k] = np.where(label == k, oil, 0.0)
                probs[0] = 1.0 - oil
                self.by_vv[vv.tobytes()] = probs

    def predict_tiles(self, batch: np.ndarray) -> TilePredictions:
        self.tiles_seen += len(batch)
        return TilePredictions(probabilities=np.stack([self.by_vv[t[0].tobytes()]
                                                       for t in batch]))


GRID = {"poly_score_thresh": (0.3, 0.5, 0.7),
        "pixel_score_thresh": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)}


def test_the_sweep_finds_the_known_best_thresholds(
        dataset: CocoDataset, double_bundle: Callable[[str], Path]) -> None:
    config = EvalConfig(diagnostic=False, examples=0, bootstrap=200)
    options = RunOptions(batch_size=4)
    bundle = double_bundle("unet")
    prepared = prepare_run(bundle, dataset, config, options)
    model = TruthIsOil(dataset, prepared.classes)
    model.manifest = prepared.model.manifest
    result = calibrate_model(model, dataset, prepared, config, options,
                             Grid.of("unet", GRID))
    names = result.names
    by = {tuple(s.thresholds.values()): s.summary(names) for s in result.scores}
    # The model ran once per tile, not once per setting.
    assert model.tiles_seen == len(dataset)
    best = result.scores[result.best]
    assert best.thresholds == {"poly_score_thresh": 0.5, "pixel_score_thresh": 0.6}
    top = by[(0.5, 0.6)]
    assert top.slicks_false == 0 and top.slicks_found > 0 and top.instance_f1 > 0.5
    # The look-alikes are served below 0.45 and cost precision; above 0.65 nothing is.
    assert by[(0.3, 0.3)].slicks_false > 0 and by[(0.3, 0.3)].instance_f1 < top.instance_f1
    assert by[(0.5, 0.8)].slicks_predicted == 0 and by[(0.7, 0.7)].slicks_predicted == 0
    for tied in ((0.3, 0.5), (0.3, 0.6), (0.5, 0.5)):
        assert by[tied] == top
    # Hysteresis: pixel_score_thresh below poly_score_thresh is skipped (same slicks).
    assert (0.5, 0.4) not in by and (0.7, 0.6) not in by
    # The service's own setting is scored too (off this grid) and finds nothing here.
    current = next(s for s in result.scores if s.current)
    assert current.thresholds == {"poly_score_thresh": 0.5, "pixel_score_thresh": 0.9}
    assert not current.on_grid and current.summary(names).slicks_predicted == 0
    # The best setting's numbers are what an evaluation at those thresholds measures.
    at_best = RunOptions(batch_size=4, thresholds=best.thresholds)
    again = evaluate_model(model, dataset, prepare_run(bundle, dataset, config, at_best),
                           config, at_best)
    assert again.document.summary == top
    doc = result.to_json()
    assert doc["best"]["thresholds"] == best.thresholds
    assert doc["data"]["annotations_sha256"] == again.metrics["data"]["annotations_sha256"]
    assert len(doc["results"]) == len(result.scores) and doc["current"]["thresholds"]
    low, high = doc["best"]["intervals"]["instance_f1"]
    assert low <= top.instance_f1 <= high


def test_ties_go_to_the_setting_nearest_the_current_one() -> None:
    names = ("background", "infra_slick")
    empty = np.zeros(2, dtype=np.int64)

    def score(poly: float, pixel: float, found: int, current: bool = False) -> SettingScore:
        from cerulean_eval.metrics import SceneStats

        stats = SceneStats("S", 1, np.array([[10, 0], [0, 10]]), np.array([0, 4]),
                           np.array([0, 4]), np.array([0, found]), empty * 1.0,
                           empty * 1.0, empty * 1.0)
        return SettingScore({"poly_score_thresh": poly, "pixel_score_thresh": pixel}, [stats],
                            current)

    scores = [score(0.2, 0.2, 3), score(0.4, 0.4, 3), score(0.6, 0.8, 2),
              score(0.3, 0.9, 3), score(0.5, 0.9, 1, current=True)]
    assert best_index(scores, names) == 3
    assert best_index(scores[:3], names) == 0  # no current setting: the lower values


def test_grids_are_checked_and_follow_the_hysteresis() -> None:
    assert Grid.of("unet", {}).keys == ("poly_score_thresh", "pixel_score_thresh")
    assert Grid.of("maskrcnn", {}).keys == ("bbox_score_thresh", "pixel_score_thresh")
    assert len(Grid.of("unet", {}).settings(PRESETS["unet-serving"])) == 45
    assert len(Grid.of("maskrcnn", {}).settings(PRESETS["maskrcnn-serving"])) == 81
    # One swept threshold: the other stays the row's (pixel 0.9 bounds the outline level).
    only = Grid.of("unet", {"poly_score_thresh": (0.5, 0.95, 0.7)})
    assert only.values["poly_score_thresh"] == (0.5, 0.7, 0.95)
    assert [s["poly_score_thresh"] for s in only.settings(PRESETS["unet-serving"])] == [0.5, 0.7]
    for arch, bad, says in (
            ("unet", {"pixel_nms_thresh": (0.5,)}, "pixel_nms_thresh"),
            ("unet", {"join_distance_m": (100.0,)}, "join_distance_m"),
            ("unet", {"poly_score_thresh": (1.5,)}, "outside 0–1"),
            ("unet", {"poly_score_thresh": ()}, "no values"),
            ("maskrcnn", {"bbox_score_thresh": (0.1,), "pixel_score_thresh": (0.1,),
                          "poly_score_thresh": (0.1,)}, "one or two")):
        with pytest.raises(ConfigError, match=says):
            Grid.of(arch, bad)
