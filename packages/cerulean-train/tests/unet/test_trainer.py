"""UNet training for real on tiny data: learning, over-fitting, resume, early stopping."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from cerulean_train.config import Stage, UNetConfig
from cerulean_train.run import RunFolder
from cerulean_train.unet.trainer import train_unet


def _config(dataset: Path, **values: object) -> UNetConfig:
    base: dict[str, object] = dict(train=str(dataset), val=str(dataset),
                                   backbone="xresnet18_narrow", device="cpu", batch_size=4)
    return UNetConfig(**{**base, **values})  # type: ignore[arg-type]


def _history(run: Path) -> list[dict[str, str]]:
    with (run / "history.csv").open() as f:
        return list(csv.DictReader(f))


def test_overfits_four_tiles(four_tiles: Path, tmp_path: Path) -> None:
    config = _config(four_tiles, crop="whole", size=128, epochs=6, repeats=6, lr=0.01,
                     monitor="oil_iou")
    result = train_unet(config, tmp_path / "run", progress=False)
    rows = _history(tmp_path / "run")
    assert len(rows) == 6 and result.epochs == 6
    assert float(rows[-1]["train_loss"]) < 0.5 * float(rows[0]["train_loss"])
    assert result.metrics["oil_iou"] >= 0.8
    assert result.metrics["dice_multi"] > 0.5
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"config.yaml", "checkpoints", "history.csv", "tensorboard", "weights.pt",
            "run.json"} <= files
    assert any((tmp_path / "run" / "tensorboard").iterdir())
    state = torch.load(tmp_path / "run" / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_progressive_stages_and_early_stopping(dataset: Path, tmp_path: Path) -> None:
    config = _config(dataset, crop="slick", stages=(Stage(32, 1, "frozen"), Stage(64, 3)),
                     patience=1, lr=1e-7, monitor="dice_multi")
    result = train_unet(config, tmp_path / "run", progress=False)
    rows = _history(tmp_path / "run")
    assert [r["size"] for r in rows][:2] == ["32", "64"]
    assert result.stopped_early == (len(rows) < 4)
    assert RunFolder(tmp_path / "run").read_summary()["epochs"] == len(rows)


def test_resume_after_a_kill_gives_the_unbroken_result(dataset: Path, tmp_path: Path) -> None:
    config = _config(dataset, crop="random", size=64, epochs=3, augment=True, seed=7)
    unbroken = train_unet(config, tmp_path / "unbroken", progress=False)
    path = tmp_path / "run.yaml"
    config.write(tmp_path)
    (tmp_path / "config.yaml").rename(path)
    broken = tmp_path / "broken"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, "-m", "cerulean_train", "unet", "--config", str(path), "-o",
            str(broken), "--no-progress"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    first = broken / "checkpoints" / "epoch-0000.pt"
    try:
        deadline = time.monotonic() + 300
        while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert first.exists() and not (broken / "run.json").exists()
    resumed = subprocess.run([*args, "--resume"], env=env, capture_output=True, text=True,
                             check=False)
    assert resumed.returncode == 0, resumed.stderr
    a = torch.load(unbroken.run_dir / "weights.pt", weights_only=True)
    b = torch.load(broken / "weights.pt", weights_only=True)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["train_loss"] for r in _history(broken)] == \
        [r["train_loss"] for r in _history(unbroken.run_dir)]


def test_resume_refuses_other_settings(dataset: Path, tmp_path: Path) -> None:
    config = _config(dataset, crop="random", size=32, epochs=1)
    train_unet(config, tmp_path / "run", progress=False)
    from cerulean_train.errors import ConfigError

    with pytest.raises(ConfigError, match="lr differ"):
        train_unet(config.override({"lr": 0.5}), tmp_path / "run", resume=True,
                   progress=False)
