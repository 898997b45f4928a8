"""Fixtures: small synthetic scenes, one real 2-worker build of them, and the CLI that
the workspace conftest's ``run_cli`` runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cerulean_coco.building.build import BuildReport, build_dataset
from cerulean_coco.cli import main
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.synthetic.scenes import write_scenes

N_SCENES = 6


@pytest.fixture(scope="session")
def scene_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six 512x384 synthetic scenes under class folders, written once per session."""
    root = tmp_path_factory.mktemp("scenes")
    write_scenes(root, n=N_SCENES, seed=5, size=(512, 384), layers=4)
    return root


@pytest.fixture(scope="session")
def n_scenes() -> int:
    """How many scenes ``scene_root`` holds."""
    return N_SCENES


@pytest.fixture(scope="session")
def built(scene_root: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """The scenes built once on a real LocalCluster with 2 worker processes (read-only);
    ``built.dataset`` is the dataset folder."""
    out = tmp_path_factory.mktemp("built") / "dataset"
    return build_dataset([scene_root], out, TilingConfig(), workers=2, progress=False)


@pytest.fixture
def dataset_copy(built: BuildReport, tmp_path: Path) -> Path:
    """A private copy of the built dataset, for tests that break or extend it."""
    target = tmp_path / "copy"
    shutil.copytree(built.dataset, target)
    return target


@pytest.fixture
def cli_main() -> Callable[[list[str]], int]:
    """The CLI the workspace conftest's ``run_cli`` runs: cerulean-coco's."""
    return main
