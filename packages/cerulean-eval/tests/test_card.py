"""The model card names the data, the numbers with their intervals, and the limits."""

from __future__ import annotations

from pathlib import Path

from cerulean_coco import CocoDataset
from cerulean_eval import EvalConfig, measured_row, score_predictions
from cerulean_eval.card import card_markdown, model_card
from cerulean_infer import BundleManifest, Runtime, describe_model
from cerulean_infer.presets import preset


def test_scenes_shared_with_training_are_named(dataset: CocoDataset, dataset_dir: Path,
                                               truth_geojson: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "m.bundle"
    bundle.mkdir()
    BundleManifest(name="m", arch="unet", backbone="resnet34",
                   classes=("background", "infra_slick"), category_ids=(0, 1),
                   channels=("vv",), postprocess="unet-serving",
                   runtime=Runtime("2.14.1", "0.29.1", verified=True),
                   training={"epochs": 2, "best_epoch": 1, "seed": 0,
                             "train": str(dataset_dir), "val": str(tmp_path / "gone")},
                   metrics={"val_oil_iou": 0.4}).write(bundle)
    model = describe_model(bundle)
    document = score_predictions(dataset, truth_geojson, EvalConfig(bootstrap=20)).document
    row = measured_row(model, preset("unet-serving"), document.summary, 0.2)
    card = model_card(model, document, row)
    assert card["trained_on"]["train"]["available"] is True
    assert card["trained_on"]["train"]["annotations_sha256"] == \
        document.data.annotations_sha256
    assert card["trained_on"]["val"] == {"available": False, "dataset": str(tmp_path / "gone")}
    limits = " ".join(card["known_limits"])
    assert "are in the training data" in limits and "not the service's 2.0.1" in limits
    assert "was not at hand" in limits
    assert card["metrics"]["instance_f1"] == {"value": 1.0, "interval_95": [1.0, 1.0]}
    assert card["thresholds"]["groundtruth_dice_thresh"] == 0.2
    assert row.pixel_f1 == 1.0 and row.instance_f1 == 1.0
    text = card_markdown(card)
    assert "val_oil_iou 0.400" in text and "| pixel_f1 | 1.000 | 1.000 – 1.000 |" in text
