"""Bad runs through the CLI: untrusted pickles, data without slicks, failed starts,
weights that do not fit, and option values out of range (exit 2, naming the flag)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from cerulean_train.cli import main

CliResult = Any
MARKER = "pickle-ran"


def _one_line_error(result: CliResult, code: int, *expected: str) -> str:
    lines = result.err.strip().splitlines()
    assert result.code == code, result.err
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert "weights_only=False" not in lines[0]
    return str(lines[0])


class _Payload:
    """Unpickling this runs a shell command: what a malicious weights file does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _malicious(path: Path) -> Path:
    torch.save({"conv.weight": torch.zeros(1), "x": _Payload(path.parent / MARKER)}, path)
    return path


@pytest.fixture(scope="module")
def unet_run(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 1-epoch UNet run at 32 px (read-only; copy it to change it)."""
    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("unet") / "run"
    assert main(["unet", "--train", str(dataset), "--val", str(dataset), "--backbone",
                 "xresnet18_narrow", "--size", "32", "--crop", "random", "--epochs", "1",
                 "--device", "cpu", "--no-progress", "-o", str(run)]) == 0
    return run


def _base(dataset: Path, out: Path) -> list[object]:
    return ["unet", "--train", dataset, "--val", dataset, "--backbone", "xresnet18_narrow",
            "--size", "32", "--crop", "random", "--epochs", "1", "--device", "cpu",
            "--no-progress", "-o", out]


def test_weights_that_would_run_code_are_refused_in_one_line(
        run_cli: Callable[..., CliResult], dataset: Path, unet_run: Path,
        tmp_path: Path) -> None:
    evil = _malicious(tmp_path / "evil.pt")
    out = tmp_path / "run"
    _one_line_error(run_cli(*_base(dataset, out), "--weights", evil), 1,
                    f"{evil}: not a plain state dict")
    assert not out.exists()
    run = tmp_path / "copied"
    shutil.copytree(unet_run, run)
    _malicious(run / "weights.pt")
    bundle = tmp_path / "x.bundle"
    _one_line_error(run_cli("export", run, "-o", bundle, "--no-onnx"), 1,
                    f"{run / 'weights.pt'}: not a plain state dict")
    assert not bundle.exists()
    assert not (tmp_path / MARKER).exists()


def test_export_names_the_first_key_that_does_not_fit(run_cli: Callable[..., CliResult],
                                                      unet_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(unet_run, run)
    state = torch.load(run / "weights.pt", weights_only=True)
    key = next(k for k, v in state.items() if v.ndim == 4)
    shape = list(state[key].shape)
    state[key] = torch.zeros(3, 3, 3, 3)
    torch.save(state, run / "weights.pt")
    bundle = tmp_path / "x.bundle"
    _one_line_error(run_cli("export", run, "-o", bundle, "--no-onnx"), 1,
                    f"{run / 'weights.pt'}: weights do not fit",
                    f"{key} is [3, 3, 3, 3] in the file, {shape} in the model")
    del state[key]
    torch.save(state, run / "weights.pt")
    _one_line_error(run_cli("export", run, "-o", bundle, "--no-onnx"), 1, f"{key} is missing")
    assert not bundle.exists()


def _without_slicks(dataset: Path, out: Path) -> Path:
    shutil.copytree(dataset, out)
    doc = json.loads((out / "annotations.json").read_text())
    doc["annotations"] = []
    (out / "annotations.json").write_text(json.dumps(doc))
    return out


def test_a_validation_set_without_slicks_is_refused(run_cli: Callable[..., CliResult],
                                                    dataset: Path, tmp_path: Path) -> None:
    empty = _without_slicks(dataset, tmp_path / "val")
    out = tmp_path / "run"
    args = _base(dataset, out)
    args[args.index("--val") + 1] = empty
    _one_line_error(run_cli(*args), 1, str(empty), "no validation tile holds a slick")
    args[args.index("--train") + 1] = empty
    _one_line_error(run_cli(*args), 1, str(empty), "no training tile holds a slick")
    assert not out.exists()


def test_a_run_failing_on_its_first_tile_leaves_nothing(run_cli: Callable[..., CliResult],
                                                        dataset: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    for tile in (broken / "tiles").glob("*.tif"):
        tile.write_bytes(tile.read_bytes()[:300])
    out = tmp_path / "run"
    args = _base(broken, out)
    args[args.index("--val") + 1] = dataset
    for _ in range(2):  # the same command again: the same error, not "not an empty folder"
        _one_line_error(run_cli(*args), 1, "unreadable tile")
        assert not out.exists()
    made = tmp_path / "made"
    made.mkdir()  # a folder the user made stays, empty
    args[args.index("-o") + 1] = made
    _one_line_error(run_cli(*args), 1, "unreadable tile")
    assert made.is_dir() and not any(made.iterdir())


@pytest.mark.parametrize(("flags", "says"), [
    (["--lr", "-0.01"], "--lr: -0.01 is out of range"),
    (["--epochs", "0"], "--epochs: 0 is out of range"),
    (["--batch-size", "0"], "--batch-size: 0"),
    (["--channels", "vv,sar"], "--channels: unknown channel 'sar'"),
    (["--classes-preset", "cloud5"], "--classes-preset: unknown preset 'cloud5'"),
    (["--backbone", "resnet7"], "unknown backbone 'resnet7'"),
    (["--repeats", "0"], "--repeats: 0"),
])
def test_option_values_out_of_range_exit_2(run_cli: Callable[..., CliResult], dataset: Path,
                                           tmp_path: Path, flags: list[str], says: str) -> None:
    out = tmp_path / "run"
    _one_line_error(run_cli(*_base(dataset, out), *flags), 2, says)
    assert not out.exists()


def test_the_same_value_in_a_config_file_is_bad_data(run_cli: Callable[..., CliResult],
                                                     dataset: Path, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("lr: -0.01\n")
    out = tmp_path / "run"
    _one_line_error(run_cli("unet", "--config", config, "--train", dataset, "--val", dataset,
                            "-o", out), 1, f"{config}: key 'lr'")
    assert not out.exists()


def test_runs_of_an_older_layout_are_refused_in_one_line(
        run_cli: Callable[..., CliResult], unet_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(unet_run, run)
    summary = json.loads((run / "run.json").read_text())
    del summary["weights_digests"]
    (run / "run.json").write_text(json.dumps(summary))
    bundle = tmp_path / "x.bundle"
    _one_line_error(run_cli("export", run, "-o", bundle, "--no-onnx"), 1,
                    f"{run / 'run.json'}: no 'weights_digests'")
    assert not bundle.exists()
    # Before the shared engine a UNet checkpoint kept fastai's state under "opt".
    checkpoint = run / "checkpoints" / "epoch-0000.pt"
    state = torch.load(checkpoint, weights_only=True)
    old = {k: v for k, v in state.items() if k not in ("layout", "optimizer")}
    torch.save({**old, "opt": state["optimizer"]["adam"]}, checkpoint)
    (run / "run.json").unlink()
    _one_line_error(run_cli("unet", "-o", run, "--resume", "--no-progress"), 1,
                    f"{checkpoint}: a checkpoint of an older cerulean-train")
