"""Fixtures: small synthetic scenes written by cerulean_tiling.synthetic.scenes, a small
synthetic GRD, and the CLI the workspace conftest's ``run_cli`` runs.

The servers the fetch tests talk to (``stac_server``, ``eodag_env``, ``s3_server``) are the
workspace's test support (``tests/support``), loaded by the root conftest.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cerulean_tiling import write_synthetic_grd
from cerulean_tiling.cli import main
from cerulean_tiling.synthetic.scenes import SyntheticScene, write_scenes


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


@pytest.fixture
def cli_main() -> Callable[[list[str]], int]:
    """The CLI the workspace conftest's ``run_cli`` runs: cerulean-tiling's."""
    return main


@pytest.fixture
def grd_tiff(tmp_path: Path) -> Path:
    """A small synthetic GRD GeoTIFF (640 × 480, 210 GCPs in EPSG:4326)."""
    return write_synthetic_grd(tmp_path / "grd.tiff", 640, 480)
