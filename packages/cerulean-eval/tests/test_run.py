"""End to end on a real built dataset: saved predictions of every format, and models (the
cerulean-infer Predictor's doubles) measured on the slicks they are served with."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio

from cerulean_coco import CocoDataset
from cerulean_eval import (
    EvalConfig,
    RunOptions,
    ScoreOptions,
    dataset_classes,
    dataset_scenes,
    run_model,
    score_predictions,
)
from cerulean_eval.errors import EmptyPredictionsError, PredictionsError
from cerulean_eval.truth import truth_instances, truth_raster
from cerulean_infer import PRESETS, merge_scene, model_lattice, tiles_plan

CONFIG = EvalConfig(examples=1, bootstrap=200)


def test_truth_scored_as_prediction_is_perfect(dataset: CocoDataset,
                                               truth_geojson: Path) -> None:
    result = score_predictions(dataset, truth_geojson, CONFIG)
    s = result.summary
    headline = ("pixel_f1", "pixel_macro_f1", "oil_iou", "instance_f1", "slick_precision",
                "slick_recall")
    assert all(s[key] == 1.0 for key in headline), s
    assert all(v in (1.0, None) for v in s["pixel_f1_per_class"].values())
    assert s["slicks_found"] == s["slicks_true"] == s["slicks_predicted"] > 0
    assert s["slicks_missed"] == s["slicks_false"] == 0
    intervals = result.metrics["intervals"]
    assert all(intervals[key] == [1.0, 1.0] for key in headline)
    # Slicks cut by tile edges were merged: fewer slicks than annotation pieces.
    assert s["slicks_true"] < len(dataset.annotations)
    assert result.metrics["pixel"]["nodata_pixels"] > 0  # the tiles reach past the scenes
    features = result.slicks["features"]
    assert len(features) == s["slicks_predicted"] and all(f["properties"]["matched"]
                                                           for f in features)
    assert result.metrics["postprocess"] is None and result.metrics["diagnostic"] is None
    assert [x["scene_id"] for x in result.metrics["scenes"]] == sorted(
        {image.scene_id for image in dataset.images})


def test_empty_predictions_score_zero(dataset: CocoDataset, tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(EmptyPredictionsError, match="--allow-empty"):
        score_predictions(dataset, empty, CONFIG)
    s = score_predictions(dataset, empty, CONFIG, ScoreOptions(allow_empty=True)).summary
    assert s["pixel_f1"] == 0.0 and s["oil_iou"] == 0.0 and s["instance_f1"] == 0.0
    assert s["slicks_found"] == 0 and s["slicks_missed"] == s["slicks_true"] > 0


def test_geojson_slicks_need_a_scene_of_the_dataset(dataset: CocoDataset, truth_geojson: Path,
                                                    tmp_path: Path) -> None:
    doc = json.loads(truth_geojson.read_text())
    doc["features"][0]["properties"]["scene_id"] = "S1A_elsewhere"
    (tmp_path / "other.geojson").write_text(json.dumps(doc))
    with pytest.raises(PredictionsError, match="feature 0: scene 'S1A_elsewhere' is not in"):
        score_predictions(dataset, tmp_path / "other.geojson", CONFIG)
    del doc["features"][0]["properties"]["scene_id"]
    (tmp_path / "none.geojson").write_text(json.dumps(doc))
    with pytest.raises(PredictionsError, match="feature 0 has no scene_id"):
        score_predictions(dataset, tmp_path / "none.geojson", CONFIG)


def test_truth_from_geojson(dataset: CocoDataset, truth_geojson: Path, tmp_path: Path) -> None:
    doc = json.loads(truth_geojson.read_text())
    doc["features"] = doc["features"][1:]
    fewer = tmp_path / "fewer.geojson"
    fewer.write_text(json.dumps(doc))
    s = score_predictions(dataset, truth_geojson, CONFIG,
                          ScoreOptions(truth_geojson=fewer)).summary
    assert s["slicks_true"] == s["slicks_predicted"] - 1 == s["slicks_found"]
    assert s["slicks_false"] == 1


def test_coco_results_are_served_as_maskrcnn_outputs(dataset: CocoDataset,
                                                     truth_results: Path) -> None:
    result = score_predictions(dataset, truth_results, CONFIG)
    metrics = result.metrics
    assert metrics["postprocess"]["preset"] == "maskrcnn-serving"
    assert metrics["postprocess"]["merge"] == "serving" and not metrics["postprocess"]["ensemble"]
    # The raw instances are the truth (diagnostic 1.0); served, the service's 1 km
    # stitching joins nearby slicks of a class, so fewer slicks come out than went in.
    tiles = metrics["diagnostic"]["tiles"]
    assert tiles["instance"]["coco"]["segm"]["ap"] == 1.0 and tiles["pixel"]["oil_iou"] == 1.0
    s = result.summary
    assert 0 < s["slicks_predicted"] == len(result.slicks["features"])
    assert s["slicks_found"] <= s["slicks_true"] and s["slick_precision"] == 1.0
    ours = score_predictions(dataset, truth_results, CONFIG, ScoreOptions(merge="ours"))
    assert ours.metrics["postprocess"]["merge"] == "ours"


def write_truth_rasters(dataset: CocoDataset, folder: Path, preset: str | None = None) -> None:
    classes = dataset_classes(dataset.categories, preset)
    folder.mkdir()
    for sample in dataset.iter_samples():
        raster = truth_raster(truth_instances(sample, classes),
                              (sample.image.height, sample.image.width))
        with rasterio.open(folder / f"{sample.image.name}.tif", "w", driver="GTiff",
                           width=raster.shape[1], height=raster.shape[0], count=1,
                           dtype="uint8") as dst:
            dst.write(raster, 1)


def test_class_rasters_are_served_as_unet_outputs(dataset: CocoDataset, tmp_path: Path) -> None:
    write_truth_rasters(dataset, tmp_path / "rasters", "cloud4")
    options = ScoreOptions(class_preset="cloud4")
    result = score_predictions(dataset, tmp_path / "rasters", CONFIG, options)
    assert result.metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep",
                                                  "vessel"]
    assert result.metrics["postprocess"]["preset"] == "unet-serving"
    tiles = result.metrics["diagnostic"]["tiles"]
    assert tiles["pixel"]["oil_iou"] == 1.0 and tiles["pixel"]["sweep"] is None
    s = result.summary
    # Islands of the truth, served: the same pixels but where the service's no-data rule
    # drops a piece lying mostly in the swath's border.
    assert s["pixel_f1"] > 0.9 and s["slick_precision"] == 1.0
    stricter = score_predictions(dataset, tmp_path / "rasters", CONFIG,
                                 ScoreOptions(class_preset="cloud4",
                                              thresholds={"nodata_fraction": 1.0}))
    assert stricter.summary["slicks_predicted"] >= s["slicks_predicted"]


def test_models_are_measured_on_their_served_slicks(dataset: CocoDataset, unet_double: object,
                                                    double_bundle: Callable[[str], Path]
                                                    ) -> None:
    bundle = double_bundle("unet")
    result = run_model(bundle, dataset, CONFIG, RunOptions(batch_size=4),
                       loaded=lambda model: unet_double)  # type: ignore[arg-type,return-value]
    metrics = result.metrics
    assert metrics["source"]["kind"] == "bundle" and metrics["source"]["model"] == "double-unet"
    assert metrics["postprocess"]["preset"] == "unet-serving"
    assert metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep"]
    # Batches stay within a scene.
    calls = unet_double.calls  # type: ignore[attr-defined]
    tiles = [len(scene.samples) for scene in dataset_scenes(dataset)]
    assert sum(c[0] for c in calls) == len(dataset.images) and len(calls) == sum(
        -(-n // 4) for n in tiles)
    # The scored slicks are exactly cerulean-infer's merge of each scene's stitched tiles.
    lattice = model_lattice(9, 512)
    expected = []
    for scene in dataset_scenes(dataset, lattice, 512):
        plan = tiles_plan(lattice, 512, scene.windows or ())
        batch = np.stack([_vv(s.path)[None] for s in scene.samples])
        merged = merge_scene(plan, [(plan.tiles, unet_double.predict_tiles(batch))],  # type: ignore[attr-defined]
                             arch="unet", classes=result.document.classes.names,
                             preset=PRESETS["unet-serving"], merge="serving")
        expected.extend(merged.slicks)
    features = result.slicks["features"]
    assert len(features) == len(expected) == result.summary["slicks_predicted"] > 0
    for feature, slick in zip(features, expected, strict=True):
        assert feature["properties"]["machine_confidence"] == slick.machine_confidence
    assert metrics["diagnostic"]["tiles"]["pixel"]["sweep"] is not None


def _vv(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_maskrcnn_models_too(dataset: CocoDataset, maskrcnn_double: object,
                             double_bundle: Callable[[str], Path]) -> None:
    result = run_model(double_bundle("maskrcnn"), dataset, CONFIG, RunOptions(batch_size=3),
                       loaded=lambda model: maskrcnn_double)  # type: ignore[arg-type,return-value]
    assert result.metrics["postprocess"]["preset"] == "maskrcnn-serving"
    assert result.summary["slicks_predicted"] == len(result.slicks["features"]) > 0
    assert result.metrics["diagnostic"]["tiles"]["instance"]["coco"]["segm"]["ap"] is not None


@pytest.mark.parametrize("thresholds", [(0.05,), (0.05, 0.1, 0.25, 0.5)])
def test_low_iou_thresholds_of_the_diagnostic(dataset: CocoDataset, truth_results: Path,
                                              thresholds: tuple[float, ...]) -> None:
    coco = score_predictions(dataset, truth_results, EvalConfig(
        iou_thresholds=thresholds, examples=0, bootstrap=0)).metrics[
        "diagnostic"]["tiles"]["instance"]["coco"]["segm"]
    assert list(coco["ap_at"]) == [f"{t:.2f}" for t in thresholds]
    assert coco["ap"] == 1.0 and coco["ap75"] is None
