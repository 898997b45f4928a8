"""End-to-end scoring on a real built dataset: saved predictions of every format and
cerulean-infer Predictor doubles."""

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
    dataset_classes,
    dataset_slicks,
    evaluate_predictor,
    score_predictions,
)
from cerulean_eval.truth import truth_instances, truth_raster
from cerulean_infer import Slick, feature_collection, write_geojson

CONFIG = EvalConfig(examples=1)


def test_truth_scored_as_prediction_is_perfect(dataset: CocoDataset, truth_results: Path) -> None:
    result = score_predictions(dataset, truth_results, CONFIG)
    s = result.summary
    assert s["segm_ap"] == 1.0 and s["segm_ap50"] == 1.0 and s["bbox_ap"] == 1.0
    assert s["pixel_f1"] == 1.0 and s["pixel_macro_f1"] == 1.0 and s["oil_iou"] == 1.0
    assert s["instance_f1"] == 1.0
    assert s["slicks_missed"] == 0 and s["slicks_false"] == 0
    assert s["slicks_found"] == s["slicks_true"] > 0
    # Slicks cut by tile edges were merged: fewer slicks than annotation pieces.
    assert s["slicks_true"] < len(dataset.annotations)
    matching = result.metrics["instance"]["matching"]
    assert matching["missed"] == 0 and matching["false"] == 0
    assert result.metrics["pixel"]["nodata_pixels"] > 0  # the tiles reach past the scenes


def test_empty_predictions_score_zero(dataset: CocoDataset, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    s = score_predictions(dataset, empty, CONFIG, allow_empty=True).summary
    assert s["segm_ap"] == 0.0 and s["bbox_ap"] == 0.0 and s["instance_f1"] == 0.0
    assert s["pixel_f1"] == 0.0 and s["oil_iou"] == 0.0
    assert s["slicks_found"] == 0 and s["slicks_missed"] == s["slicks_true"] > 0


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


def test_class_rasters_with_cloud4_preset(dataset: CocoDataset, tmp_path: Path) -> None:
    write_truth_rasters(dataset, tmp_path / "rasters", "cloud4")
    result = score_predictions(dataset, tmp_path / "rasters", CONFIG, preset="cloud4")
    assert result.metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep",
                                                  "vessel"]
    assert result.metrics["source"]["kind"] == "rasters"
    s = result.summary
    assert s["pixel_f1"] == 1.0 and s["oil_iou"] == 1.0 and s["slicks_missed"] == 0
    assert result.metrics["pixel"]["sweep"] is None  # rasters carry no confidences
    # Ambiguous (removed by cloud4) is not painted: fewer true oil pixels than 6 classes.
    raw = score_predictions(dataset, tmp_path / "rasters", CONFIG)
    assert raw.metrics["pixel"]["per_class"]["ambiguous"]["support"] > 0
    assert raw.summary["pixel_f1"] < 1.0


def test_geojson_slicks_written_by_cerulean_infer(dataset: CocoDataset, tmp_path: Path) -> None:
    classes = dataset_classes(dataset.categories)
    slicks = dataset_slicks(dataset, classes)
    features = []
    for scene_id in sorted({s.scene_id for s in slicks}):
        found = [Slick(s.geometry, s.label, classes.names[s.label], 0.9, 0.9, 0.9, 0.9)
                 for s in slicks[1:] if s.scene_id == scene_id]
        features += feature_collection(found, scene_id, "test-model")["features"]
    path = tmp_path / "slicks.geojson"
    write_geojson(path, {"type": "FeatureCollection", "features": features})
    result = score_predictions(dataset, path, CONFIG)
    assert result.metrics["pixel"] is None and result.metrics["instance"] is None
    s = result.summary
    assert (s["slicks_true"], s["slicks_found"], s["slicks_missed"], s["slicks_false"]) == (
        len(slicks), len(slicks) - 1, 1, 0)
    truth_path = tmp_path / "truth.geojson"
    truth_path.write_text(path.read_text())
    again = score_predictions(dataset, path, CONFIG, truth_geojson=truth_path).summary
    assert again["slicks_true"] == len(slicks) - 1 and again["slick_f1"] == 1.0


def test_unet_predictor_equals_its_saved_rasters(dataset: CocoDataset, unet_double: object,
                                                 dark: Callable[[np.ndarray], np.ndarray],
                                                 tmp_path: Path) -> None:
    run = evaluate_predictor(unet_double, dataset, CONFIG, batch_size=4)  # type: ignore[arg-type]
    assert [shape[0] for shape in unet_double.calls] == [4, 2]  # type: ignore[attr-defined]
    assert run.metrics["source"]["kind"] == "bundle"
    # The bundle's category ids (1, 2) are the dataset's infra_slick and natural_seep.
    assert run.metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep"]
    assert run.metrics["pixel"]["sweep"] is not None
    folder = tmp_path / "pred"
    folder.mkdir()
    for sample in dataset.iter_samples():
        with rasterio.open(sample.path) as src:
            vv = src.read(1)
        raster = np.argmax(dark(vv[None, None]), axis=1)[0].astype(np.uint8)
        with rasterio.open(folder / f"{sample.image.name}.tif", "w", driver="GTiff",
                           width=raster.shape[1], height=raster.shape[0], count=1,
                           dtype="uint8") as dst:
            dst.write(raster, 1)
    saved = score_predictions(dataset, folder, CONFIG, allow_empty=True)
    # The saved rasters are scored against all 6 dataset classes; compare the shared part.
    run_cm = np.array(run.metrics["pixel"]["confusion"]["counts"])
    saved_cm = np.array(saved.metrics["pixel"]["confusion"]["counts"])
    np.testing.assert_array_equal(run_cm[:, :3].sum(axis=0), saved_cm[:, :3].sum(axis=0))
    assert run.metrics["pixel"]["valid_pixels"] == saved.metrics["pixel"]["valid_pixels"]


def test_maskrcnn_predictor_equals_its_coco_results(dataset: CocoDataset,
                                                    maskrcnn_double: object,
                                                    tmp_path: Path) -> None:
    from pycocotools import mask as mask_utils

    run = evaluate_predictor(maskrcnn_double, dataset, CONFIG, batch_size=3)  # type: ignore[arg-type]
    results = []
    for sample in dataset.iter_samples():
        with rasterio.open(sample.path) as src:
            vv = src.read(1)
        batch = np.stack([vv, np.full_like(vv, 255), vv])[None]
        for inst in maskrcnn_double.predict_tiles(batch).instances[0]:  # type: ignore[attr-defined]
            rle = mask_utils.encode(np.asfortranarray((inst.mask >= 0.5).astype(np.uint8)))
            x0, y0, x1, y1 = inst.box
            results.append({"image_id": sample.image.id, "category_id": inst.label,
                            "segmentation": {"size": rle["size"],
                                             "counts": rle["counts"].decode()},
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": inst.score})
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    saved = score_predictions(dataset, path, CONFIG, allow_empty=True)
    for key in ("segm", "bbox"):
        ours = run.metrics["instance"]["coco"][key]
        theirs = saved.metrics["instance"]["coco"][key]
        assert ours["per_class"]["infra_slick"] == theirs["per_class"]["infra_slick"]
        assert ours["per_class"]["natural_seep"] == theirs["per_class"]["natural_seep"]
    assert run.metrics["pixel"]["sweep"] is not None


@pytest.mark.parametrize("thresholds", [(0.05,), (0.05, 0.1, 0.25, 0.5)])
def test_low_iou_thresholds(dataset: CocoDataset, truth_results: Path,
                            thresholds: tuple[float, ...]) -> None:
    coco = score_predictions(dataset, truth_results, EvalConfig(
        iou_thresholds=thresholds, examples=0)).metrics["instance"]["coco"]["segm"]
    assert list(coco["ap_at"]) == [f"{t:.2f}" for t in thresholds]
    assert coco["ap"] == 1.0 and coco["ap75"] is None
