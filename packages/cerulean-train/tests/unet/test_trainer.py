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

from cerulean_train.engine import RunSummary, TrainResult
from cerulean_train.unet.config import Stage, UNetConfig
from cerulean_train.unet.trainer import train_unet


def _config(dataset: Path, **values: object) -> UNetConfig:
    base: dict[str, object] = dict(train=str(dataset), val=str(dataset),
                                   backbone="xresnet18_narrow", device="cpu", batch_size=4)
    return UNetConfig(**{**base, **values})  # type: ignore[arg-type]


def _history(run: Path) -> list[dict[str, str]]:
    with (run / "history.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def four_tile_run(four_tiles: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """The narrow UNet trained on 4 tiles and validated on the same 4 (over-fitting)."""
    torch.set_num_threads(1)
    # 100 steps: the first ~50 only learn "background" (slicks are ~3 % of the pixels).
    config = _config(four_tiles, crop="whole", size=128, epochs=4, repeats=25, lr=3e-3,
                     monitor="oil_iou")
    return train_unet(config, tmp_path_factory.mktemp("four-run") / "run", progress=False)


def test_loss_falls_and_the_run_folder_is_complete(four_tile_run: TrainResult) -> None:
    run = four_tile_run.run_dir
    rows = _history(run)
    assert len(rows) == 4 and four_tile_run.epochs == 4
    assert float(rows[-1]["train_loss"]) < 0.5 * float(rows[0]["train_loss"])
    files = {p.name for p in run.iterdir()}
    assert {"config.json", "checkpoints", "history.csv", "tensorboard", "weights.pt",
            "run.json"} <= files
    assert any((run / "tensorboard").iterdir())
    state = torch.load(run / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_overfits_four_tiles(four_tile_run: TrainResult) -> None:
    assert four_tile_run.metrics["oil_iou"] >= 0.8


def test_progressive_stages_and_early_stopping(dataset: Path, tmp_path: Path) -> None:
    config = _config(dataset, crop="slick",
                     stages=(Stage(size=32, epochs=1, mode="frozen"), Stage(size=64, epochs=3)),
                     patience=1, lr=1e-7, monitor="dice_multi")
    result = train_unet(config, tmp_path / "run", progress=False)
    rows = _history(tmp_path / "run")
    assert [r["size"] for r in rows][:2] == ["32", "64"]
    assert result.stopped_early == (len(rows) < 4)
    assert RunSummary.read(tmp_path / "run").epochs == len(rows)


def test_resume_after_a_kill_gives_the_unbroken_result(dataset: Path, tmp_path: Path) -> None:
    config = _config(dataset, crop="random", size=64, epochs=3, augment=True, seed=7)
    unbroken = train_unet(config, tmp_path / "unbroken", progress=False)
    path = tmp_path / "run.json"
    config.write(tmp_path).rename(path)
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
