"""Fixtures: synthetic scenes built once into a small dataset of 128-px tiles, and the CLI
that the workspace conftest's ``run_cli`` runs.

The dataset is real: scenes from cerulean-tiling's synthetic generator, built by
cerulean-coco on a LocalCluster, tiles as GeoTIFFs with named bands (vv and
infra_distance). Tests that train use 1 thread and the narrow backbone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from cerulean_coco import CocoDataset, build_dataset
from cerulean_tiling import ChannelSpec, TilingConfig, write_scenes
from cerulean_train.cli import main

TILE = 128


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset of 128-px pixel-grid tiles (vv, infra_distance) from 4 small scenes."""
    root = tmp_path_factory.mktemp("scenes")
    write_scenes(root, n=4, seed=3, size=(512, 384), layers=4)
    config = TilingConfig(grid="pixel", tile_size=TILE, aux=(
        ChannelSpec("infra_distance", str(root / "infrastructure.geojson")),))
    out = tmp_path_factory.mktemp("built") / "dataset"
    build_dataset([root], out, config, workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def four_tiles(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dataset holding only its 4 tiles with the most slick pixels."""
    coco = CocoDataset.open(dataset)
    area: dict[int, int] = {}
    for ann in coco.annotations:
        area[ann.image_id] = area.get(ann.image_id, 0) + ann.area
    keep = set(sorted(area, key=lambda i: -area[i])[:4])
    doc = json.loads((dataset / "annotations.json").read_text())
    doc["images"] = [im for im in doc["images"] if im["id"] in keep]
    doc["annotations"] = [a for a in doc["annotations"] if a["image_id"] in keep]
    out = tmp_path_factory.mktemp("four") / "dataset"
    (out / "tiles").mkdir(parents=True)
    for im in doc["images"]:
        shutil.copy(dataset / im["file_name"], out / im["file_name"])
    (out / "annotations.json").write_text(json.dumps(doc))
    return out


@pytest.fixture(scope="session")
def empty_dataset(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder whose annotations hold no images."""
    doc = json.loads((dataset / "annotations.json").read_text())
    doc["images"], doc["annotations"] = [], []
    out = tmp_path_factory.mktemp("empty") / "dataset"
    out.mkdir()
    (out / "annotations.json").write_text(json.dumps(doc))
    return out


@pytest.fixture
def cli_main() -> Callable[[list[str]], int]:
    """The CLI the workspace conftest's ``run_cli`` runs: cerulean-train's."""
    return main
