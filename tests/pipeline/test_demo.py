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
    assert 0.0 <= summary["unet"]["oil_iou"] <= 1.0
    assert set(summary["unet"]["val_iou"]) == {"background", "infra_slick", "natural_seep",
                                               "vessel"}
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
    # Each step printed its command and a one-line result.
    assert stdout.count("\n$ ") == stdout.count("\n   → ") >= 12
    assert "slicks found" in stdout


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
