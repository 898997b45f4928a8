"""Fixtures of the cerulean-infer tests (helpers live in infer_doubles.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from cerulean_tiling import SyntheticScene

# Test modules import their helpers from this folder (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))

from infer_doubles import TEST_TILE, clean_scene, manifest, write_bundle

from tests.support.models import DarkIsOil


@pytest.fixture(scope="session")
def dark_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundles") / "dark.bundle"
    return write_bundle(folder, DarkIsOil(), torch.rand(1, 1, TEST_TILE, TEST_TILE),
                        manifest(has_onnx=True), onnx=True)


@pytest.fixture(scope="session")
def clean_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[SyntheticScene]:
    root = tmp_path_factory.mktemp("scenes")
    return [clean_scene(root / f"s{seed}", seed, size=(896, 640)) for seed in (3, 4)]


@pytest.fixture(scope="session")
def small_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[SyntheticScene]:
    """Two quick scenes for command-line and cluster runs."""
    root = tmp_path_factory.mktemp("small")
    return [clean_scene(root / f"s{seed}", seed, size=(512, 384)) for seed in (5, 6)]


@pytest.fixture(scope="session")
def dark_results(dark_bundle: Path, clean_scenes: list[SyntheticScene]) -> Any:
    """``dark_results(scene_index, merge)``: the dark model's SceneResult, computed once."""
    from cerulean_infer import Predictor, predict_scene

    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    cache: dict[tuple[int, str], Any] = {}

    def get(index: int, merge: str = "ours") -> Any:
        if (index, merge) not in cache:
            cache[index, merge] = predict_scene(predictor, clean_scenes[index].path, merge=merge)
        return cache[index, merge]

    return get
