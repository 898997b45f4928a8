"""TensorBoard scalars: finite floats of each row on rank 0, nothing elsewhere."""

from __future__ import annotations

import math
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cerulean_train.engine import scalars


def test_rank_zero_writes_finite_floats(tmp_path: Path) -> None:
    with scalars(tmp_path / "tb", main=True) as tb:
        tb.add_row(0, {"epoch": 0, "stage": 1, "val_loss": 2.0, "segm_ap": math.nan})
        tb.add_row(1, {"epoch": 1, "stage": 1, "val_loss": 1.5, "segm_ap": 0.25})
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert sorted(events.Tags()["scalars"]) == ["segm_ap", "val_loss"]
    assert [(e.step, e.value) for e in events.Scalars("val_loss")] == [(0, 2.0), (1, 1.5)]
    assert [(e.step, e.value) for e in events.Scalars("segm_ap")] == [(1, 0.25)]


def test_other_ranks_write_nothing(tmp_path: Path) -> None:
    with scalars(tmp_path / "tb", main=False) as tb:
        tb.add_row(0, {"epoch": 0, "val_loss": 2.0})
    assert not (tmp_path / "tb").exists()
