"""run.json as a typed record: written once, read back whole, older files refused."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from cerulean_train.engine import RunSummary, TileGrid
from cerulean_train.errors import CheckpointError

SUMMARY = RunSummary(
    status="complete", arch="maskrcnn", epochs=3, best_epoch=1, monitor="segm_ap",
    stopped_early=False, classes=["background", "infra_slick"], category_ids=[0, 1],
    channels=["vv", "constant", "constant"],
    metrics={"val_loss": 1.25, "segm_ap": math.nan, "segm_ap50": 0.0},
    grid=TileGrid("tms", 9, 512), train_tiles=12, val_tiles=4,
    weights_digests=["ab" * 32], seconds_last_invocation=2.5)


def test_round_trip_with_undefined_metrics_as_null(tmp_path: Path) -> None:
    SUMMARY.write(tmp_path)
    doc = json.loads((tmp_path / "run.json").read_text())
    assert doc["metrics"]["segm_ap"] is None
    assert doc["grid"] == {"grid": "tms", "zoom": 9, "tile_size": 512}
    read = RunSummary.read(tmp_path)
    assert read == replace(SUMMARY, metrics={"val_loss": 1.25, "segm_ap": None,
                                             "segm_ap50": 0.0})
    assert read.finite_metrics() == {"val_loss": 1.25, "segm_ap50": 0.0}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("weights_digests"), "no 'weights_digests' (a run made by an older"),
    (lambda d: d["grid"].pop("zoom"), "no 'grid.zoom'"),
    (lambda d: d.update(epochs="3"), "'epochs' is not int"),
    (lambda d: d.update(stopped_early=1), "'stopped_early' is not bool"),
    (lambda d: d["metrics"].update(segm_ap="high"), "'metrics' is not dict[str, float | None]"),
    (lambda d: d.update(grid=[512]), "'grid' is not an object"),
])
def test_a_missing_or_mistyped_field_names_run_json(tmp_path: Path, change: object,
                                                    message: str) -> None:
    SUMMARY.write(tmp_path)
    doc = json.loads((tmp_path / "run.json").read_text())
    change(doc)  # type: ignore[operator]
    (tmp_path / "run.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=f"^{tmp_path / 'run.json'}: ") as caught:
        RunSummary.read(tmp_path)
    assert message in str(caught.value)


def test_an_unfinished_run_has_no_summary(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="has not finished"):
        RunSummary.read(tmp_path)
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(CheckpointError, match="run summary is not valid JSON"):
        RunSummary.read(tmp_path)
