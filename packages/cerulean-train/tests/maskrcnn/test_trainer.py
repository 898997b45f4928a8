"""Training for real on tiny models: loss falls, resume equals an unbroken run, DDP agrees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from cerulean_train.engine import TrainResult
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.trainer import train_maskrcnn


def test_loss_falls(trained: TrainResult) -> None:
    losses = [row["train_loss"] for row in trained.history]
    assert len(losses) == 2
    assert losses[-1] < losses[0]
    for key in ("val_loss", "segm_ap", "segm_ap50"):
        assert key in trained.history[-1]


def test_run_folder(trained: TrainResult) -> None:
    run = trained.run_dir
    summary = json.loads((run / "run.json").read_text())
    assert summary["arch"] == "maskrcnn"
    assert summary["classes"][0] == "background"
    assert summary["epochs"] == 2
    assert (run / "weights.pt").is_file() and (run / "config.json").is_file()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch-0000.pt", "epoch-0001.pt"]
    rows = (run / "history.csv").read_text().splitlines()
    assert len(rows) == 3 and "segm_ap" in rows[0]
    assert any((run / "tensorboard").iterdir())


class _StopError(Exception):
    pass


def _stop_after_first(row: dict[str, object]) -> None:
    raise _StopError


def test_resume_equals_unbroken(trained: TrainResult,
                                tiny_config: Callable[..., MaskRCNNConfig],
                                tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(_StopError):
        train_maskrcnn(tiny_config(), run, progress=False, on_epoch=_stop_after_first)
    assert not (run / "weights.pt").exists()
    resumed = train_maskrcnn(tiny_config(), run, resume=True, progress=False)
    assert resumed.epochs == 2
    unbroken = torch.load(trained.run_dir / "weights.pt", weights_only=True)
    again = torch.load(run / "weights.pt", weights_only=True)
    assert unbroken.keys() == again.keys()
    for key, tensor in unbroken.items():
        assert torch.equal(tensor, again[key]), key
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in resumed.history]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"}
                     for row in trained.history]


def test_early_stopping(tiny_config: Callable[..., MaskRCNNConfig], tmp_path: Path) -> None:
    # lr ≈ 0 leaves an untrained detector: its mask AP cannot beat the first epoch's. The
    # tie is no improvement (patience 1 stops after epoch 2) but keeps the later weights.
    config = tiny_config(epochs=4, patience=1, lr=1e-9, monitor="segm_ap")
    result = train_maskrcnn(config, tmp_path / "run", progress=False)
    assert result.stopped_early
    assert result.epochs == 2
    assert result.best_epoch == 1


def test_ddp_two_processes_agree(tiny_config: Callable[..., MaskRCNNConfig],
                                 tmp_path: Path) -> None:
    config_file = tmp_path / "run.json"
    config_file.write_text(json.dumps({k: v for k, v in tiny_config(epochs=1).to_dict().items()
                                       if k != "arch"}))
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "cerulean_train", "maskrcnn", "--config", str(config_file),
         "-o", str(tmp_path / "ddp"), "--no-progress"],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "ddp" / "run.json").read_text())
    digests = summary["weights_digests"]
    assert len(digests) == 2
    assert digests[0] == digests[1]
