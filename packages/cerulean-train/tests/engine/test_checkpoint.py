"""Checkpoints: one layout, written atomically, read with weights_only; older refused."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from cerulean_train.engine import LAYOUT, Checkpoint, EarlyStopping, cpu_state
from cerulean_train.errors import CheckpointError


def _checkpoint() -> Checkpoint:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    return Checkpoint(epoch=2, model=cpu_state(model),
                      optimizer={"optimizer": optimizer.state_dict()},
                      history=[{"epoch": 0, "val_loss": 1.5, "segm_ap": math.nan}],
                      early=EarlyStopping("val_loss", 2).state(), stopped=False)


def test_round_trip(tmp_path: Path) -> None:
    saved = _checkpoint()
    path = tmp_path / "checkpoints" / "epoch-0002.pt"
    saved.save(path)
    assert torch.load(path, weights_only=True)["layout"] == LAYOUT
    read = Checkpoint.load(path)
    assert read.epoch == 2 and read.stopped is False
    assert all(torch.equal(read.model[k], saved.model[k]) for k in saved.model)
    state = read.optimizer["optimizer"]["state"][0]["exp_avg"]
    assert torch.equal(state, saved.optimizer["optimizer"]["state"][0]["exp_avg"])
    assert EarlyStopping(**read.early) == EarlyStopping("val_loss", 2)
    assert math.isnan(read.history[0]["segm_ap"])


def test_an_older_layout_is_refused(tmp_path: Path) -> None:
    saved = _checkpoint()
    path = tmp_path / "epoch-0002.pt"
    torch.save({"epoch": 2, "model": saved.model, "opt": saved.optimizer,
                "history": saved.history, "early": saved.early, "stopped": False}, path)
    with pytest.raises(CheckpointError, match=r"a checkpoint of an older cerulean-train "
                                              r"\(layout 1, this one reads 2\)"):
        Checkpoint.load(path)
    torch.save({"layout": LAYOUT, "epoch": 2, "model": saved.model}, path)
    with pytest.raises(CheckpointError, match="no optimizer"):
        Checkpoint.load(path)
    torch.save([1, 2], path)
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        Checkpoint.load(path)
