"""unet_slicks, island by island in windows, against a whole-raster reference of the rule."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.features import geometry_mask, shapes
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, shape

from cerulean_infer import PRESETS
from cerulean_infer.postprocess import unet_slicks

CLASSES = ("background", "infra_slick", "natural_seep", "vessel")
TRANSFORM = Affine(0.000687, 0.0, 4.0, 0.0, -0.000687, 52.0)


def blobs(seed: int, height: int = 150, width: int = 200) -> np.ndarray:
    """A softmax raster of Gaussian slicks of random classes, with a no-data corner."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:height, :width]
    oil = np.full((3, height, width), 1e-6, np.float32)
    for _ in range(30):
        r, c = rng.uniform(0, height), rng.uniform(0, width)
        sr, sc = rng.uniform(1.5, 6), rng.uniform(3, 25)
        peak = rng.uniform(0.6, 1.0)
        oil[rng.integers(0, 3)] += peak * np.exp(-((rows - r) / sr) ** 2 - ((cols - c) / sc) ** 2)
    oil = np.minimum(oil, 0.999 / np.maximum(oil.sum(0), 0.999) * oil).astype(np.float32)
    oil[:, :30, :50] = 0
    oil[:, 100:104, :] = 0
    return np.concatenate([1 - oil.sum(0, keepdims=True), oil]).astype(np.float32)


def reference(probs: np.ndarray) -> list[tuple[MultiPolygon, int, float, float, float]]:
    ndimage = pytest.importorskip("scipy.ndimage")
    preset = PRESETS["unet-serving"]
    raster = probs[1:].sum(0)
    islands, count = ndimage.label(raster >= preset.bbox_score_thresh)
    zero = raster == 0
    edge = MultiPolygon([shape(g) for g, v in shapes(zero.astype(np.uint8), mask=zero,
                                                      transform=TRANSFORM) if v == 1]).buffer(
        preset.nodata_buffer_deg)
    out = []
    for k in range(1, count + 1):
        if not (raster[islands == k] >= preset.pixel_score_thresh).any():
            continue
        mask = (islands == k) & (raster >= preset.poly_score_thresh)
        pieces = [shape(g) for g, v in shapes(mask.astype(np.uint8), mask=mask,
                                              transform=TRANSFORM) if v == 1]
        pieces = [p for p in pieces if p.intersection(edge).area / p.area <= 0.5]
        if not pieces:
            continue
        inside = geometry_mask(pieces, out_shape=raster.shape, transform=TRANSFORM, invert=True)
        sums = [probs[c][inside].sum() for c in (1, 2, 3)]
        values = raster[mask]
        out.append((MultiPolygon(pieces), 1 + sums.index(max(sums)), float(np.mean(values)),
                    float(np.median(values)), float(np.max(values))))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_windowed_islands_match_the_whole_raster_rule(seed: int) -> None:
    probs = blobs(seed)
    expected = reference(probs)
    found = unet_slicks(probs, TRANSFORM, CLASSES, PRESETS["unet-serving"])
    assert len(expected) >= 2
    assert len(found) == len(expected)
    for slick, (geometry, inf_idx, mean, median, top) in zip(found, expected, strict=True):
        assert slick.geometry.equals_exact(geometry, tolerance=1e-9)
        assert slick.inf_idx == inf_idx
        assert (slick.mean_conf, slick.median_conf, slick.max_conf) == pytest.approx(
            (mean, median, top), rel=1e-6)
    # the case exercises the no-data rule: without it more pieces survive
    everything = unet_slicks(probs, TRANSFORM, CLASSES,
                             PRESETS["unet-serving"].override(nodata_fraction=1.0))
    assert sum(len(s.geometry.geoms) for s in everything) > sum(
        len(s.geometry.geoms) for s in found)
