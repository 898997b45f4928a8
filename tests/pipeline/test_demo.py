"""The main job end to end: the quick demo's outputs, its summary, reruns and determinism."""

from __future__ import annotations

import json
from pathlib import Path

from .demo_runner import REPO, run_demo


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_demo_produces_every_output(demo_run: tuple[Path, str]) -> None:
    out, stdout = demo_run
    summary = _summary(out)
    assert set(summary) >= {"seconds", "unet", "maskrcnn", "heldout", "report"}
    for name in ("unet", "maskrcnn"):
        served = summary[name]
        assert 0.0 <= served["pixel_f1"] <= 1.0 and 0.0 <= served["instance_f1"] <= 1.0
        assert set(served["pixel_f1_per_class"]) == {"infra_slick", "natural_seep", "vessel"}
        # The measured row carries the evaluation's numbers, and export left them null.
        assert served["row"]["pixel_f1"] == round(served["pixel_f1"], 6)
        assert served["row"]["instance_f1"] == round(served["instance_f1"], 6)
        exported = json.loads((out / "bundles" / f"{name}-demo.bundle" /
                               "cerulean-cloud-model.json").read_text())
        assert exported["pixel_f1"] is None and exported["instance_f1"] is None
        features = json.loads((out / "eval" / name / "slicks.geojson").read_text())["features"]
        assert len(features) == served["slicks_predicted"]
    heldout = summary["heldout"]
    assert heldout["slicks_true"] > 0 and 0 <= heldout["slicks_found"] <= heldout["slicks_true"]
    geojson = json.loads((REPO / heldout["geojson"]).read_text()) \
        if not Path(heldout["geojson"]).is_absolute() else json.loads(
            Path(heldout["geojson"]).read_text())
    assert geojson["type"] == "FeatureCollection"
    for path in (heldout["overlay"], summary["report"]):
        resolved = Path(path) if Path(path).is_absolute() else REPO / path
        assert resolved.stat().st_size > 0
    for bundle in ("unet-demo.bundle", "maskrcnn-demo.bundle"):
        names = {p.name for p in (out / "bundles" / bundle).iterdir()}
        assert {"model.ts", "weights.pt", "bundle.json", "cerulean-cloud-model.json"} <= names
    # It ends with the promotion gate: the UNet against the Mask R-CNN on the same scenes,
    # from their evaluation folders; its verdict (either) is reported, not a demo failure.
    gate = summary["gate"]
    assert gate["verdict"] in ("pass", "fail") and set(gate["metrics"]) == {"pixel_f1",
                                                                            "instance_f1"}
    doc = json.loads((out / "gate" / "unet-vs-maskrcnn" / "gate.json").read_text())
    assert doc["line"] == gate["line"] and doc["passed"] == (gate["verdict"] == "pass")
    for name in ("pixel_f1", "instance_f1"):
        assert doc["metrics"][name]["candidate"] == round(summary["unet"][name], 6)
        assert doc["metrics"][name]["baseline"] == round(summary["maskrcnn"][name], 6)
    assert stdout.rstrip().splitlines()[-1].startswith(f"Promotion gate {gate['verdict'].upper()}")
    # Each step printed its command and a one-line result.
    assert stdout.count("\n$ ") == stdout.count("\n   → ") >= 12
    assert "slicks found" in stdout and "measured serving row: pixel_f1" in stdout


def test_rerun_reuses_every_step(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    before = _summary(out)
    completed = run_demo(out)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "(ran," not in completed.stdout
    after = _summary(out)
    assert {k: v for k, v in after.items() if k != "seconds"} == \
        {k: v for k, v in before.items() if k != "seconds"}


def test_two_clean_runs_are_identical(demo_run: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = demo_run
    other = tmp_path / "again"
    completed = run_demo(other)
    assert completed.returncode == 0, completed.stderr[-2000:]
    for name in ("train", "val", "heldout"):
        first = (out / "datasets" / name / "annotations.json").read_bytes()
        assert first == (other / "datasets" / name / "annotations.json").read_bytes(), name
    for name in ("unet", "maskrcnn", "heldout"):
        first = json.loads((out / "eval" / name / "metrics.json").read_text())
        second = json.loads((other / "eval" / name / "metrics.json").read_text())
        assert first["summary"] == second["summary"], name
