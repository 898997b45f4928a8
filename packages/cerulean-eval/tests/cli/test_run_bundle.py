"""``cerulean-eval run`` end to end through cerulean-infer's real Predictor.

The bundle holds a real traced TorchScript model that is a known function of its
input (dark VV is infra_slick), standing in for a trained UNet, and the serving row
export writes (metrics null).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box, mapping

from cerulean_infer import ServingRow

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory,
           write_dark_bundle: Callable[..., Path]) -> Path:
    torch.set_num_threads(1)
    return write_dark_bundle(tmp_path_factory.mktemp("bundles") / "dark.bundle")


@pytest.fixture(scope="module")
def evaluated(bundle: Path, dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cerulean_eval.cli import main

    out = tmp_path_factory.mktemp("runs") / "unet"
    assert main(["run", "--bundle", str(bundle), "--coco", str(dataset_dir), "-o", str(out),
                 "--batch-size", "4", "--device", "cpu", "--no-progress"]) == 0
    return out


def test_run_writes_the_measured_row_and_the_card(evaluated: Path, bundle: Path,
                                                  dataset_dir: Path) -> None:
    assert {p.name for p in evaluated.iterdir()} >= {
        "metrics.json", "slicks.geojson", "cerulean-cloud-model.json", "model_card.json",
        "MODEL_CARD.md", "report.html", "examples.png", "cm_count.png"}
    metrics = json.loads((evaluated / "metrics.json").read_text())
    assert metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep", "vessel"]
    assert metrics["classes"]["preset"] == "cloud4"  # the dataset has the 6-class table
    assert metrics["source"]["kind"] == "bundle" and metrics["source"]["device"] == "cpu"
    assert metrics["postprocess"]["preset"] == "unet-serving"
    summary = metrics["summary"]
    features = json.loads((evaluated / "slicks.geojson").read_text())["features"]
    assert len(features) == summary["slicks_predicted"] > 0
    assert sum(f["properties"]["matched"] for f in features) == summary["slicks_found"]
    assert {f["properties"]["scene_id"] for f in features} <= set(metrics["data"]["scenes"])
    # Export leaves the row's numbers null; the evaluation fills them with metrics.json's.
    exported = ServingRow.read(bundle / "cerulean-cloud-model.json")
    assert exported.pixel_f1 is None and exported.instance_f1 is None
    row = ServingRow.read(evaluated / "cerulean-cloud-model.json")
    assert row.pixel_f1 == round(summary["pixel_f1"], 6)
    assert row.instance_f1 == round(summary["instance_f1"], 6)
    assert row.thresholds["groundtruth_dice_thresh"] == 0.2
    assert row.thresholds["poly_score_thresh"] == exported.thresholds["poly_score_thresh"]
    card = json.loads((evaluated / "model_card.json").read_text())
    assert card["metrics"]["pixel_f1"]["value"] == summary["pixel_f1"]
    low, high = card["metrics"]["instance_f1"]["interval_95"]
    assert low <= summary["instance_f1"] <= high
    assert card["training"]["validation"] == {"val_oil_iou": 0.5}
    assert card["measured_on"]["annotations_sha256"] == metrics["data"]["annotations_sha256"]
    assert any("not at hand" in limit for limit in card["known_limits"])
    text = (evaluated / "MODEL_CARD.md").read_text()
    assert "## Known limits" in text and "| instance_f1 |" in text


def test_a_production_file_and_its_row_score_the_same(run_cli: Callable[..., Any], bundle: Path,
                                                      evaluated: Path, dataset_dir: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "production"
    result = run_cli("run", "--bundle", bundle / "model.ts", "--model-row",
                     bundle / "cerulean-cloud-model.json", "--coco", dataset_dir, "-o", out,
                     "--device", "cpu", "--no-progress")
    assert result.code == 0, result.err
    assert "measured row" in result.out
    ours = json.loads((evaluated / "metrics.json").read_text())
    theirs = json.loads((out / "metrics.json").read_text())
    assert theirs["source"]["kind"] == "serving" and theirs["classes"]["preset"] == "cloud4"
    assert theirs["summary"] == ours["summary"]


def test_thresholds_change_the_slicks_and_are_recorded(run_cli: Callable[..., Any],
                                                       bundle: Path, evaluated: Path,
                                                       dataset_dir: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "strict"
    result = run_cli("run", "--bundle", bundle, "--coco", dataset_dir, "-o", out, "--threshold",
                     "pixel_score_thresh=0.99999", "--match-dice", "0.5", "--device", "cpu",
                     "--no-diagnostic", "--bootstrap", "0")
    assert result.code == 0, result.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["postprocess"]["thresholds"]["pixel_score_thresh"] == 0.99999
    assert metrics["diagnostic"] is None and metrics["intervals"] is None
    row = json.loads((out / "cerulean-cloud-model.json").read_text())
    assert row["thresholds"]["groundtruth_dice_thresh"] == 0.5
    assert row["thresholds"]["pixel_score_thresh"] == 0.99999
    before = json.loads((evaluated / "metrics.json").read_text())["summary"]
    assert metrics["summary"]["slicks_predicted"] <= before["slicks_predicted"]


def test_slicks_stored_as_land_are_not_counted(run_cli: Callable[..., Any], bundle: Path,
                                               evaluated: Path, dataset_dir: Path,
                                               tmp_path: Path) -> None:
    """Land over every scene: each served slick is LAND, written but in no count."""
    land = tmp_path / "land.geojson"
    land.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(
        box(-180, -90, 180, 90))}))
    out = tmp_path / "on-land"
    result = run_cli("run", "--bundle", bundle, "--coco", dataset_dir, "-o", out, "--land",
                     land, "--device", "cpu", "--no-diagnostic", "--bootstrap", "0")
    assert result.code == 0, result.err
    metrics = json.loads((out / "metrics.json").read_text())
    before = json.loads((evaluated / "metrics.json").read_text())["summary"]
    assert metrics["summary"]["slicks_predicted"] == metrics["summary"]["pixel_f1"] == 0
    assert metrics["summary"]["slicks_true"] == before["slicks_true"]
    assert metrics["reclassified"]["slicks"] == {"LAND": before["slicks_predicted"],
                                                 "SEA_ICE": 0}
    assert metrics["reclassified"]["land"] == str(land)
    features = json.loads((out / "slicks.geojson").read_text())["features"]
    assert len(features) == before["slicks_predicted"]
    assert {(f["properties"]["stored_class"], f["properties"]["matched"])
            for f in features} == {("LAND", None)}
    card = json.loads((out / "model_card.json").read_text())
    assert card["reclassified"]["land"] == str(land)
    said = [limit for limit in card["known_limits"] if "reclassified" in limit]
    assert said and f"{before['slicks_predicted']} stored as LAND" in said[0]
    plain = json.loads((evaluated / "model_card.json").read_text())
    assert plain["reclassified"]["land"] is None
    assert any("is not applied" in limit for limit in plain["known_limits"])


def test_bad_models_and_datasets_are_refused_before_any_work(
        run_cli: Callable[..., Any], bundle: Path, dataset_dir: Path, evaluated: Path,
        tmp_path: Path,
        write_dark_bundle: Callable[..., Path]) -> None:
    def copy_bundle(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(bundle, target)
        return target

    row = json.loads((bundle / "cerulean-cloud-model.json").read_text())
    (tmp_path / "no-thresholds.json").write_text(json.dumps({**row, "thresholds": {}}))
    three = {**row, "cls_map": {"0": "BACKGROUND", "1": "INFRA", "2": "NATURAL"}}
    (tmp_path / "three.json").write_text(json.dumps(three))
    broken = copy_bundle("broken.bundle")
    (broken / "model.ts").write_bytes(b"PK\x03\x04 not a model")
    zoom10 = copy_bundle("zoom10.bundle")
    doc = json.loads((zoom10 / "bundle.json").read_text())
    (zoom10 / "bundle.json").write_text(json.dumps({**doc, "zoom": 10}))
    (zoom10 / "cerulean-cloud-model.json").unlink()
    aux = write_dark_bundle(tmp_path / "aux.bundle",
                            channels=("vv", "infra_distance", "constant"))
    (aux / "cerulean-cloud-model.json").unlink()
    (tmp_path / "a-file").write_text("not a folder")
    out = tmp_path / "out"
    cases = [
        # An existing output is refused before the (corrupt) model is even read.
        (["--bundle", broken, "-o", evaluated], "already exists"),
        (["--bundle", bundle, "-o", tmp_path / "a-file" / "out"], "a-file is a file"),
        (["--bundle", bundle, "--model-row", tmp_path / "no-thresholds.json", "-o", out],
         "the row has no thresholds bbox_score_thresh"),
        (["--bundle", bundle, "--model-row", tmp_path / "three.json", "-o", out],
         "cls_map names 3 classes"),
        (["--bundle", zoom10, "-o", out], "dataset from another grid"),
        (["--bundle", aux, "-o", out], "no band named 'infra_distance'"),
        (["--bundle", bundle, "-o", out, "--threshold", "groundtruth_dice_thresh=0.4"],
         "--match-dice"),
        (["--bundle", bundle / "model.ts", "-o", out], "needs --model-row"),
    ]
    for args, message in cases:
        result = run_cli("run", "--coco", dataset_dir, "--device", "cpu", *args)
        err = result.err.strip()
        assert result.code == 1 and err.startswith("Error: ") and "\n" not in err, err
        assert message in err, err
        assert not out.exists() and not (tmp_path / "a-file" / "out").exists()
