"""``cerulean-eval gate`` through real ``run`` outputs and real models.

Two evaluations of the same real TorchScript model on the same scenes: with the
service's thresholds, and with ``poly_score_thresh`` 0.9 (outlines only the darkest core,
which on this dataset paints fewer false pixels: a higher pixel F1 on one scene, the same
on the other, and the same slicks found). So the stricter run is not worse anywhere and
passes as a candidate; as the baseline it makes the service's setting fail.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_eval.gate import GATE_FAILED

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path,
         write_dark_bundle: Callable[..., Path]) -> dict[str, Path]:
    """The bundle, and its evaluations at the service's thresholds and at strict ones."""
    from cerulean_eval.cli import main

    root = tmp_path_factory.mktemp("gate")
    bundle = write_dark_bundle(root / "dark.bundle")
    common = ["--coco", str(dataset_dir), "--device", "cpu", "--no-progress",
              "--no-diagnostic", "--bootstrap", "200"]
    assert main(["run", "--bundle", str(bundle), "-o", str(root / "served"), *common]) == 0
    assert main(["run", "--bundle", str(bundle), "-o", str(root / "strict"), "--threshold",
                 "poly_score_thresh=0.9", *common]) == 0
    return {"bundle": bundle, "served": root / "served", "strict": root / "strict"}


def test_a_candidate_not_worse_anywhere_passes_and_the_reverse_fails(
        run_cli: Callable[..., Any], runs: dict[str, Path], tmp_path: Path) -> None:
    served = json.loads((runs["served"] / "metrics.json").read_text())["summary"]
    strict = json.loads((runs["strict"] / "metrics.json").read_text())["summary"]
    assert strict["pixel_f1"] > served["pixel_f1"]
    passed = run_cli("gate", runs["strict"], runs["served"], "-o", tmp_path / "pass",
                     "--bootstrap", "500")
    assert passed.code == 0, passed.err
    assert passed.out.startswith("gate PASS") and passed.err == ""
    doc = json.loads((tmp_path / "pass" / "gate.json").read_text())
    assert doc["passed"] and doc["verdict"] == "pass"
    assert doc["settings"] == {"metrics": ["pixel_f1", "instance_f1"], "margin": 0.0,
                               "alpha": 0.05, "resamples": 500, "seed": 0,
                               "method": "paired percentile bootstrap over scenes, one-sided"}
    pixel = doc["metrics"]["pixel_f1"]
    assert pixel["candidate"] == round(strict["pixel_f1"], 6)
    assert pixel["baseline"] == round(served["pixel_f1"], 6)
    assert pixel["lower_bound"] >= 0 and pixel["interval"][0] == pixel["lower_bound"]
    assert [s["scene_id"] for s in doc["per_scene"]] == sorted(
        json.loads((runs["served"] / "metrics.json").read_text())["data"]["scenes"])
    assert set(doc["per_class"]) == {"infra_slick", "natural_seep", "vessel"}
    text = (tmp_path / "pass" / "gate.md").read_text()
    assert "**PASS**" in text and "## Per scene" in text and "## Per class" in text
    assert "<table>" in (tmp_path / "pass" / "gate.html").read_text()
    # The reverse: the verdict is the exit status, and the report is written all the same.
    failed = run_cli("gate", runs["served"], runs["strict"], "-o", tmp_path / "fail")
    assert failed.code == GATE_FAILED, failed.err
    assert failed.out.startswith("gate FAIL") and "pixel_f1" in failed.out
    assert not json.loads((tmp_path / "fail" / "gate.json").read_text())["passed"]


def test_models_are_scored_by_the_gate_like_run(run_cli: Callable[..., Any],
                                                runs: dict[str, Path], dataset_dir: Path,
                                                tmp_path: Path) -> None:
    bundle = runs["bundle"]
    out = tmp_path / "models"
    result = run_cli("gate", bundle / "model.ts", runs["served"], "--candidate-row",
                     bundle / "cerulean-cloud-model.json", "--coco", dataset_dir, "-o", out,
                     "--device", "cpu", "--no-progress", "--no-diagnostic", "--bootstrap",
                     "200")
    assert result.code == 0, result.err
    # The same model and row as the folder: the very same numbers, not worse.
    ran = json.loads((out / "candidate" / "metrics.json").read_text())
    folder = json.loads((runs["served"] / "metrics.json").read_text())
    assert ran["summary"] == folder["summary"] and ran["source"]["kind"] == "serving"
    assert (out / "candidate" / "cerulean-cloud-model.json").is_file()
    assert not (out / "baseline").exists()
    doc = json.loads((out / "gate.json").read_text())
    assert all(m["difference"] == 0 for m in doc["metrics"].values())
    assert doc["candidate"]["folder"] == "candidate" and doc["baseline"]["folder"] == str(
        runs["served"])


def _edited(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    shutil.copytree(source, target)
    doc = json.loads((target / "metrics.json").read_text())
    edit(doc)
    (target / "metrics.json").write_text(json.dumps(doc))
    return target


def test_bad_inputs_give_one_line_and_write_nothing(run_cli: Callable[..., Any],
                                                    runs: dict[str, Path], dataset_dir: Path,
                                                    tmp_path: Path) -> None:
    served, strict = runs["served"], runs["strict"]

    def set_sha(doc: dict[str, Any]) -> None:
        doc["data"]["annotations_sha256"] = "0" * 64

    def drop_scene(doc: dict[str, Any]) -> None:
        doc["scenes"] = doc["scenes"][:1]

    def other_dice(doc: dict[str, Any]) -> None:
        doc["settings"]["match_dice"] = 0.5

    def on_land(doc: dict[str, Any]) -> None:
        doc["reclassified"] = {**(doc.get("reclassified") or {}), "land": "/data/land.geojson"}

    def old_format(doc: dict[str, Any]) -> None:
        doc["format_version"] = 1

    other_data = _edited(strict, tmp_path / "other-data", set_sha)
    one_scene = _edited(strict, tmp_path / "one-scene", drop_scene)
    dice = _edited(strict, tmp_path / "dice", other_dice)
    old = _edited(strict, tmp_path / "old", old_format)
    land = _edited(strict, tmp_path / "land", on_land)
    garbage = tmp_path / "garbage"
    shutil.copytree(strict, garbage)
    (garbage / "metrics.json").write_text("{not json")
    (tmp_path / "exists").mkdir()
    out = tmp_path / "out"
    cases = [
        ([other_data, served, "-o", out], 1, "other data"),
        ([one_scene, served, "-o", out], 1, "other scenes"),
        ([dice, served, "-o", out], 1, "Dice 0.5 and 0.2"),
        ([old, served, "-o", out], 1, "format 1"),
        ([land, served, "-o", out], 1, "not oil"),
        ([garbage, served, "-o", out], 1, "evaluation metrics file is not valid JSON"),
        ([runs["bundle"], served, "-o", out], 1, "give --coco"),
        ([other_data, runs["bundle"], "--coco", dataset_dir, "-o", out], 1, "other data"),
        ([strict, served, "-o", tmp_path / "exists"], 1, "already exists"),
        ([strict, served, "--candidate-row", runs["bundle"] / "cerulean-cloud-model.json",
          "-o", out], 2, "evaluation folder"),
        ([strict, served, "--alpha", "0.7", "-o", out], 2, "alpha"),
        ([strict, served, "--margin", "-0.1", "-o", out], 2, "margin"),
        ([strict, served, "--bootstrap", "10", "-o", out], 2, "resamples"),
        ([strict, served, "--metric", "accuracy", "-o", out], 2, "accuracy"),
    ]
    for args, code, says in cases:
        result = run_cli("gate", *args)
        assert result.code == code, (args, result.err)
        assert result.err.startswith("Error:") and says in result.err, (args, result.err)
        assert len(result.err.strip().splitlines()) == 1 and result.out == ""
        assert not out.exists()
    assert list((tmp_path / "exists").iterdir()) == []
