"""The maskrcnn and runtime commands: help, and bad inputs as one line with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cerulean_train.maskrcnn.config import MaskRCNNConfig


def test_help(run_cli: Callable[..., object]) -> None:
    result = run_cli("maskrcnn", "--help")
    assert result.code == 0  # type: ignore[attr-defined]
    for flag in ("--backbone", "--anchor-sizes", "--aspect-ratios", "--mask-pool-size",
                 "--resume", "--no-progress", "--classes-preset", "--channels"):
        assert flag in result.out  # type: ignore[attr-defined]
    runtime_help = run_cli("runtime", "--help")
    assert "2.0.1" in runtime_help.out  # type: ignore[attr-defined]


@pytest.mark.parametrize(("change", "flags", "message"), [
    ({}, ["--backbone", "resnet7"], "unknown backbone 'resnet7'"),
    ({"epoch": 3}, [], "unknown key 'epoch' (did you mean 'epochs'?)"),
    ({"channels": ["vv", "vessel_density", "constant"]}, [], "no channel 'vessel_density'"),
    ({}, ["--anchor-sizes", "8,16"], "anchor_sizes"),
    ({}, ["--aspect-ratios", "wide"], "comma-separated list"),
    ({"channels": ["vv"]}, [], "takes 3 channels"),
])
def test_bad_input_is_one_line_and_writes_nothing(
        run_cli: Callable[..., object], tiny_config: Callable[..., MaskRCNNConfig],
        config_file: Callable[..., Path], tmp_path: Path, change: dict[str, object],
        flags: list[str], message: str) -> None:
    config = config_file(tiny_config(), **change)
    out = tmp_path / "run"
    result = run_cli("maskrcnn", "--config", config, *flags, "-o", out, "--no-progress")
    assert result.code != 0  # type: ignore[attr-defined]
    err = result.err.strip()  # type: ignore[attr-defined]
    assert err.startswith("Error:") and len(err.splitlines()) == 1, err
    assert message in err
    assert not out.exists()


def test_empty_dataset(run_cli: Callable[..., object],
                       tiny_config: Callable[..., MaskRCNNConfig],
                       config_file: Callable[..., Path], empty_dataset: Path,
                       tmp_path: Path) -> None:
    config = config_file(tiny_config(), train=str(empty_dataset))
    result = run_cli("maskrcnn", "--config", config, "-o", tmp_path / "run")
    assert result.code == 1  # type: ignore[attr-defined]
    assert "has no images" in result.err  # type: ignore[attr-defined]
    assert not (tmp_path / "run").exists()


def test_existing_output_is_refused(run_cli: Callable[..., object],
                                    tiny_config: Callable[..., MaskRCNNConfig],
                                    config_file: Callable[..., Path],
                                    tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("maskrcnn", "--config", config_file(tiny_config()), "-o", out)
    assert result.code == 1  # type: ignore[attr-defined]
    assert "not an empty folder" in result.err  # type: ignore[attr-defined]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_runtime_path_without_venv(run_cli: Callable[..., object], tmp_path: Path) -> None:
    result = run_cli("runtime", "path", "--runtime-dir", tmp_path)
    assert result.code == 1  # type: ignore[attr-defined]
    assert "not created" in result.out  # type: ignore[attr-defined]
    bad = run_cli("runtime", "path", "--runtime", "torch==1.0")
    assert bad.code == 1 and "is not one of" in bad.err  # type: ignore[attr-defined]
