"""A Mask R-CNN run refuses data without slicks, and flags out of range, as the UNet does."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_train.maskrcnn.config import MaskRCNNConfig


def _error(result: Any, code: int, *expected: str) -> None:
    lines = result.err.strip().splitlines()
    assert result.code == code and len(lines) == 1 and lines[0].startswith("Error: "), result.err
    for text in expected:
        assert text in lines[0], (text, lines[0])


def test_a_validation_set_without_slicks_is_refused(
        run_cli: Callable[..., Any], tiny_config: Callable[..., MaskRCNNConfig],
        config_file: Callable[..., Path], four_tiles: Path, tmp_path: Path) -> None:
    empty = tmp_path / "val"
    shutil.copytree(four_tiles, empty)
    doc = json.loads((empty / "annotations.json").read_text())
    doc["annotations"] = []
    (empty / "annotations.json").write_text(json.dumps(doc))
    out = tmp_path / "run"
    config = config_file(tiny_config(), val=str(empty))
    _error(run_cli("maskrcnn", "--config", config, "-o", out, "--no-progress"), 1,
           str(empty), "no validation tile holds a slick")
    assert not out.exists()


@pytest.mark.parametrize(("flags", "says"), [
    (["--mask-pool-size", "0"], "--mask-pool-size: 0 is out of range"),
    (["--backbone", "resnet7"], "--backbone: unknown backbone 'resnet7'"),
    (["--lr", "-1"], "--lr: -1"),
    (["--channels", "vv"], "--channels: a Mask R-CNN takes 3 channels"),
])
def test_option_values_out_of_range_exit_2(
        run_cli: Callable[..., Any], tiny_config: Callable[..., MaskRCNNConfig],
        config_file: Callable[..., Path], tmp_path: Path, flags: list[str], says: str) -> None:
    out = tmp_path / "run"
    config = config_file(tiny_config())
    _error(run_cli("maskrcnn", "--config", config, *flags, "-o", out), 2, says)
    assert not out.exists()
