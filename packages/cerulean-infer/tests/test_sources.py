"""Reading scenes: decimated GRD reads (the service's placement: test_tiler.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from infer_doubles import scene_as_grd

from cerulean_infer.sources import open_source
from cerulean_infer.tilesets import model_lattice
from cerulean_tiling import SyntheticScene


@pytest.fixture(scope="module")
def grd(clean_scenes: list[SyntheticScene], tmp_path_factory: pytest.TempPathFactory) -> Path:
    scene = clean_scenes[1]
    return scene_as_grd(scene, tmp_path_factory.mktemp("grd") / "scene.tif", factor=3)


def test_grd_is_read_reduced_and_clipped(grd: Path) -> None:
    lattice = model_lattice(12, 128)
    source = open_source(grd, lattice.res)
    f = source.decimation
    assert f >= 2 and source.image is not None
    with rasterio.open(grd) as src:
        full = src.read(1).astype(np.float64)
    h, w = source.image.shape
    blocks = full[:h * f, :w * f].reshape(h, f, w, f).mean(axis=(1, 3))
    expected = np.clip(blocks, 0, 255)
    assert np.abs(source.image.astype(np.float64) - expected).max() <= 1.0
    assert source.image.max() == 255  # the ×2 values above 255 were clipped
