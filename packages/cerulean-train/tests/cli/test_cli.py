"""The CLI: --help, and every bad input as one line, a non-zero exit and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CliResult = Any


@pytest.mark.parametrize("command", [[], ["unet"], ["export"]])
def test_help(run_cli: Callable[..., CliResult], command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.code == 0 and "Usage:" in result.out


def _one_line_error(result: CliResult, *expected: str) -> None:
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    for text in expected:
        assert text in lines[0]


def test_bad_inputs_fail_in_one_line_and_write_nothing(
        run_cli: Callable[..., CliResult], dataset: Path, empty_dataset: Path,
        tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("backbone: xresnet18_narrow\nepoch: 2\n")
    # A run folder under a plain file cannot be created (even by root, unlike chmod).
    locked = tmp_path / "plain-file"
    locked.write_text("")
    out = tmp_path / "run"
    base = ["unet", "--train", dataset, "--val", dataset, "--backbone", "xresnet18_narrow",
            "--size", "32", "--crop", "random", "--epochs", "1", "--no-progress"]
    cases: list[tuple[list[object], Path, tuple[str, ...]]] = [
        (["unet", "--train", empty_dataset, "--val", dataset, "-o", out],
         out, ("the dataset has no images",)),
        ([*base, "--channels", "vv,vessel_density", "-o", out],
         out, ("no channel 'vessel_density'", ".tif")),
        ([*base, "--backbone", "resnet99", "-o", out], out, ("unknown backbone 'resnet99'",)),
        (["unet", "--config", typo, "--train", dataset, "--val", dataset, "-o", out],
         out, (str(typo), "unknown key 'epoch'")),
        ([*base, "-o", locked / "run"], locked / "run", ("cannot create the run folder",)),
        ([*base, "--pretrained", "--backbone", "resnet18", "-o", out],
         out, ("--pretrained: no cached ImageNet weights for resnet18",)),
        (["unet", "-o", tmp_path / "nothing", "--resume"], tmp_path / "nothing",
         ("not a training run",)),
        (["export", tmp_path / "nothing", "-o", tmp_path / "m.bundle"],
         tmp_path / "m.bundle", ("not a training run",)),
    ]
    for args, target, expected in cases:
        _one_line_error(run_cli(*args), *expected)
        assert not target.exists(), args


def test_train_then_export_through_the_cli(run_cli: Callable[..., CliResult], dataset: Path,
                                           tmp_path: Path) -> None:
    run = tmp_path / "run"
    trained = run_cli("unet", "--train", dataset, "--val", dataset, "--backbone",
                      "xresnet18_narrow", "--size", "32", "--crop", "slick", "--epochs", "1",
                      "--batch-size", "4", "--no-progress", "--device", "cpu", "-o", run)
    assert trained.code == 0, trained.err
    assert "1 epochs" in trained.out and "oil_iou" in trained.out
    again = run_cli("unet", "--train", dataset, "--val", dataset, "-o", run)
    _one_line_error(again, "exists and is not an empty folder")
    bundle = tmp_path / "m.bundle"
    exported = run_cli("export", run, "-o", bundle, "--no-onnx")
    assert exported.code == 0, exported.err
    assert {p.name for p in bundle.iterdir()} == {"model.ts", "weights.pt", "bundle.json",
                                                 "cerulean-cloud-model.json"}
    _one_line_error(run_cli("export", run, "-o", bundle), "already exists")
