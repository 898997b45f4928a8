"""Fixtures: small synthetic scenes written by cerulean_tiling.synthetic, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cerulean_tiling.cli import main
from cerulean_tiling.synthetic import SyntheticScene, write_scenes


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SyntheticScene]]:
    """Three small synthetic scenes (one per scene kind), written once per session."""
    root = tmp_path_factory.mktemp("synthetic")
    scenes = write_scenes(root, n=3, seed=11, size=(900, 640), layers=4)
    return root, scenes


@pytest.fixture
def scene_copy(synthetic_root: tuple[Path, list[SyntheticScene]], tmp_path: Path) -> Path:
    """A private, writable copy of the first synthetic scene folder (for breaking it)."""
    source = synthetic_root[1][0].path
    target = tmp_path / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the cerulean-tiling CLI in-process; returns exit code, stdout, stderr."""

    def run(*args: str | Path) -> CliResult:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
