"""Blended and pasted scene rasters against NumPy references."""

from __future__ import annotations

import math

import numpy as np

from cerulean_infer.mosaic import BlendedRaster, PastedRaster, hann_weights
from cerulean_infer.tilesets import model_lattice
from cerulean_tiling import Window


def _tiles(rng: np.random.Generator, n: int, size: int) -> list[tuple[Window, np.ndarray]]:
    return [(Window(int(rng.integers(-20, 60)), int(rng.integers(-20, 60)), size, size),
             rng.random((3, size, size), dtype=np.float32)) for _ in range(n)]


def test_blended_matches_numpy_reference() -> None:
    rng = np.random.default_rng(1)
    size = 32
    scene = Window(0, 0, 80, 90)
    raster = BlendedRaster(3, scene, size)
    acc = np.zeros((3, 80 + 200, 90 + 200))
    weight = np.zeros((80 + 200, 90 + 200))
    h = np.maximum(np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2, 1e-3)
    w2 = np.outer(h, h)
    for window, probs in _tiles(rng, 12, size):
        raster.add(probs, window)
        r, c = window.row + 100, window.col + 100
        acc[:, r:r + size, c:c + size] += w2 * probs
        weight[r:r + size, c:c + size] += w2
    got = raster.finish()
    acc, weight = acc[:, 100:180, 100:190], weight[100:180, 100:190]
    expected = np.divide(acc, weight, out=np.zeros_like(acc), where=weight > 0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert abs(hann_weights(size)[size // 2] - 1) < 0.01 and hann_weights(size)[0] < 0.01


def test_equal_tiles_blend_to_themselves() -> None:
    raster = BlendedRaster(2, Window(0, 0, 64, 64), 32)
    value = np.stack([np.full((32, 32), 0.3), np.full((32, 32), 0.7)]).astype(np.float32)
    for row in (0, 10, 21, 32):
        for col in (0, 10, 21, 32):
            raster.add(value, Window(row, col, 32, 32))
    blended = raster.finish()
    np.testing.assert_allclose(blended, np.broadcast_to(value[:, :1, :1], blended.shape),
                               atol=1e-6)


def test_pasted_is_the_services_stitch() -> None:
    """Tiles placed at ceil((west − min_x)/res), ceil((max_y − north)/res), last one wins."""
    lattice = model_lattice(9, 64)
    rng = np.random.default_rng(2)
    tiles = _tiles(rng, 8, 64)
    extent = Window(-20, -20, 144, 144)
    pasted = PastedRaster(3, extent)
    bounds = [lattice.bounds(w) for w, _ in tiles]
    min_x = min(b[0] for b in bounds)
    max_y = max(b[3] for b in bounds)
    res = (bounds[0][2] - bounds[0][0]) / 64
    width = math.ceil((max(b[2] for b in bounds) - min_x) / res)
    height = math.ceil((max_y - min(b[1] for b in bounds)) / res)
    service = np.zeros((3, height, width), dtype=np.float32)
    for (window, probs), b in zip(tiles, bounds, strict=True):
        pasted.add(probs, window)
        x, y = math.ceil(round((b[0] - min_x) / res, 6)), math.ceil(round((max_y - b[3]) / res, 6))
        service[:, y:y + 64, x:x + 64] = probs
    r0 = min(w.row for w, _ in tiles) - extent.row
    c0 = min(w.col for w, _ in tiles) - extent.col
    np.testing.assert_array_equal(pasted.values[:, r0:r0 + height, c0:c0 + width], service)
