"""``cerulean-eval calibrate`` end to end through a real TorchScript bundle, and the card of
a later ``run`` with the calibrated row."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

GRID = ("--grid", "poly_score_thresh=0.5,0.9", "--grid", "pixel_score_thresh=0.5:0.4:0.9")


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path,
               write_dark_bundle: Callable[..., Path]) -> tuple[Path, Path, str]:
    """The bundle, its calibration folder and the command's stdout."""
    from cerulean_eval.cli import main

    root = tmp_path_factory.mktemp("calibrate")
    bundle = write_dark_bundle(root / "dark.bundle")
    out = root / "calibration"
    capture = root / "stdout.txt"
    with open(capture, "w") as handle, contextlib.redirect_stdout(handle):
        code = main(["calibrate", "--bundle", str(bundle), "--coco", str(dataset_dir), "-o",
                     str(out), "--device", "cpu", "--no-progress", "--bootstrap", "100",
                     *GRID])
    assert code == 0
    return bundle, out, capture.read_text()


def test_calibrate_writes_every_setting_the_best_and_its_row(
        calibrated: tuple[Path, Path, str], dataset_dir: Path) -> None:
    bundle, out, stdout = calibrated
    assert {p.name for p in out.iterdir()} == {"calibration.json", "calibration.png",
                                               "calibration.md", "cerulean-cloud-model.json"}
    doc = json.loads((out / "calibration.json").read_text())
    # (0.9, 0.5) is skipped: pixel_score_thresh below poly_score_thresh serves the slicks
    # of (0.9, 0.9). The row's own (0.5, 0.9) is on this grid.
    settings = [tuple(r["thresholds"].values()) for r in doc["results"]]
    assert settings == [(0.5, 0.5), (0.5, 0.9), (0.9, 0.9)]
    assert [r["current"] for r in doc["results"]] == [False, True, False]
    best = next(r for r in doc["results"] if r["best"])
    f1 = [r["summary"]["instance_f1"] for r in doc["results"]]
    assert best["summary"]["instance_f1"] == max(f1)
    assert doc["best"]["thresholds"] == best["thresholds"]
    assert doc["data"]["dataset"] == str(dataset_dir)
    assert len(doc["data"]["annotations_sha256"]) == 64
    assert all(len(r["scenes"]) == len(doc["data"]["scenes"]) for r in doc["results"])
    assert doc["settings"]["match_dice"] == 0.2 and doc["postprocess"]["merge"] == "serving"
    row = json.loads((out / "cerulean-cloud-model.json").read_text())
    exported = json.loads((bundle / "cerulean-cloud-model.json").read_text())
    assert row["thresholds"] == {**exported["thresholds"], **best["thresholds"]}
    assert row["pixel_f1"] is None and row["instance_f1"] is None
    assert {k: v for k, v in row.items() if k != "thresholds"} == \
        {k: v for k, v in exported.items() if k != "thresholds"}
    assert "poly_score_thresh" in stdout and "best" in stdout and "current" in stdout
    assert "| poly_score_thresh | pixel_score_thresh |" in (out / "calibration.md").read_text()
    assert (out / "calibration.png").read_bytes()[:4] == b"\x89PNG"


def test_the_card_of_a_run_with_the_calibrated_row_names_the_calibration_data(
        run_cli: Callable[..., Any], calibrated: tuple[Path, Path, str], dataset_dir: Path,
        tmp_path: Path) -> None:
    bundle, out, _ = calibrated
    evaluated = tmp_path / "eval"
    result = run_cli("run", "--bundle", bundle, "--model-row", out / "cerulean-cloud-model.json",
                     "--coco", dataset_dir, "-o", evaluated, "--device", "cpu",
                     "--no-diagnostic", "--bootstrap", "0")
    assert result.code == 0, result.err
    card = json.loads((evaluated / "model_card.json").read_text())
    calibration = card["calibration"]
    doc = json.loads((out / "calibration.json").read_text())
    assert calibration["used"] and calibration["thresholds"] == doc["best"]["thresholds"]
    assert calibration["annotations_sha256"] == doc["data"]["annotations_sha256"]
    # Calibrated and measured on the same scenes here: the card says what that means.
    assert calibration["shared_scenes"] == sorted(doc["data"]["scenes"])
    assert any("calibrated on" in limit and "overstate" in limit
               for limit in card["known_limits"])
    assert "calibrated by `cerulean-eval calibrate`" in (evaluated / "MODEL_CARD.md").read_text()
    # Another threshold on the command line: the card says the calibration was not used.
    other = tmp_path / "other"
    result = run_cli("run", "--bundle", bundle, "--model-row", out / "cerulean-cloud-model.json",
                     "--coco", dataset_dir, "-o", other, "--device", "cpu", "--no-diagnostic",
                     "--bootstrap", "0", "--threshold", "pixel_score_thresh=0.99")
    assert result.code == 0, result.err
    card = json.loads((other / "model_card.json").read_text())
    assert not card["calibration"]["used"]
    assert any("chose other thresholds" in limit for limit in card["known_limits"])
    # The bundle's own row has no calibration beside it: the card says so.
    plain = tmp_path / "plain"
    result = run_cli("run", "--bundle", bundle, "--coco", dataset_dir, "-o", plain, "--device",
                     "cpu", "--no-diagnostic", "--bootstrap", "0")
    assert result.code == 0, result.err
    assert json.loads((plain / "model_card.json").read_text())["calibration"] is None
    assert "no cerulean-eval calibration" in (plain / "MODEL_CARD.md").read_text()


def test_bad_calibrations_are_refused_before_any_work(run_cli: Callable[..., Any],
                                                      calibrated: tuple[Path, Path, str],
                                                      dataset_dir: Path,
                                                      tmp_path: Path) -> None:
    bundle, existing, _ = calibrated
    out = tmp_path / "out"
    cases = [
        (["--grid", "poly_score_thresh=1.5"], 2, "outside 0–1"),
        (["--grid", "pixel_nms_thresh=0.5"], 2, "pixel_nms_thresh"),
        (["--grid", "poly_score_thresh"], 2, "KEY=VALUES"),
        (["--grid", "poly_score_thresh=a,b"], 2, "start:step:stop"),
        (["--grid", "poly_score_thresh=0.5", "--grid", "pixel_score_thresh=0.5", "--grid",
          "bbox_score_thresh=0.1"], 2, "one or two"),
        (["--match-dice", "0"], 2, "match_dice"),
        (["--threshold", "groundtruth_dice_thresh=0.3"], 1, "--match-dice"),
    ]
    for extra, code, says in cases:
        result = run_cli("calibrate", "--bundle", bundle, "--coco", dataset_dir, "-o", out,
                         "--device", "cpu", *extra)
        assert result.code == code, (extra, result.err)
        assert result.err.startswith("Error:") and says in result.err, (extra, result.err)
        assert len(result.err.strip().splitlines()) == 1 and not out.exists()
    before = sorted(p.name for p in existing.iterdir())
    result = run_cli("calibrate", "--bundle", bundle, "--coco", dataset_dir, "-o", existing)
    assert result.code == 1 and "already exists" in result.err
    assert sorted(p.name for p in existing.iterdir()) == before
