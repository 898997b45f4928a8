"""Benchmark: the whole-scene serving mode against the service's own per-tile loop.

The same GRD-like GeoTIFF (uint16, 210 GCPs; cerulean-tiling's ``write_synthetic_grd``)
and the same UNet-ResNet34 bundle, each way in a fresh child process, in the same run:

1. **ours**: ``predict_scene(merge="serving", georef="serving")``: every tile of the
   service's three tilesets rendered by rio-tiler at the service's bounds between model
   calls (the file opened once, a ``Reader`` per tile), tiles beyond the footprint not
   read, then the service's post-processing;
2. **baseline**: the service's way minus HTTP: for each tile of its tilesets (morecantile
   base tiles over the tiler's bounds, offset tiles by its rule), a rio-tiler ``Reader``
   opened on the GRD (as each tiler request opens it), ``part`` at 512 × 512 with nodata
   0 and rescale 0–255, empty tiles dropped, the model on the tile, one call per tile;
   the tiles pasted per tileset, polygonised and the tilesets merged.

Prints wall time, the time inside model calls, the rest (reading, rendering,
post-processing: what each way adds around the model), peak RSS (VmHWM), tiles predicted
and slicks found each way, and the time ratio baseline / ours. The model is loaded and
run once before either clock starts.
``--quick`` uses a 5 000 × 4 000 scene, ``--quarter`` a 12 500 × 8 500 one.

Usage: ``python bench/serving_scene.py [--quick | --quarter] [--backend onnx]
[--device auto] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from infer_scene import FULL, QUICK, SCENE_ID, peak_mb, write_bundle

QUARTER = (12_500, 8_500)


def _baseline(predictor: Any, scene: str) -> dict[str, Any]:
    import warnings

    import numpy as np
    from rasterio.transform import from_bounds
    from rio_tiler.io import Reader

    from cerulean_infer import merge_tilesets_serving, service_tilesets, unet_slicks

    manifest = predictor.manifest
    size = manifest.tile_size
    warnings.simplefilter("ignore")
    with Reader(scene) as reader:
        bounds = reader.get_geographic_bounds("EPSG:4326")
    predicted_tiles = 0
    model_s = 0.0
    per_tileset = []
    for tiles in service_tilesets(bounds, manifest.zoom):
        rows = max(t[0] for t in tiles) + 1
        cols = max(t[1] for t in tiles) + 1
        raster = np.zeros((len(manifest.classes), rows * size, cols * size),
                          dtype=np.float32)
        for i, j, box in tiles:
            with Reader(scene) as reader:
                image = reader.part(box, dst_crs="EPSG:4326", bounds_crs="EPSG:4326",
                                    width=size, height=size, nodata=0, indexes=1)
            image.rescale(in_range=((0, 255),))
            pixels = np.asarray(image.data[0], dtype=np.uint8)
            if not pixels.any():
                continue
            predicted_tiles += 1
            t0 = time.perf_counter()
            probs = predictor.predict_tiles(pixels[None, None]).probabilities[0]
            model_s += time.perf_counter() - t0
            raster[:, i * size:(i + 1) * size, j * size:(j + 1) * size] = probs
        first = tiles[0][2]
        transform = from_bounds(first[0], first[3] - rows * (first[3] - first[1]),
                                first[0] + cols * (first[2] - first[0]), first[3],
                                cols * size, rows * size)
        per_tileset.append(unet_slicks(raster, transform, manifest.classes, predictor.preset))
    slicks = merge_tilesets_serving(per_tileset, predictor.preset)
    return {"tiles": predicted_tiles, "slicks": len(slicks), "model_s": model_s}


def _measure(way: str, bundle: str, scene: str, backend: str, device: str,
             queue: Any) -> None:
    import numpy as np

    from cerulean_infer import Predictor, predict_scene

    predictor = Predictor.from_bundle(bundle, device=device, backend=backend)
    size = predictor.manifest.tile_size
    predictor.predict_tiles(np.full((1, 1, size, size), 100, dtype=np.uint8))
    start = time.perf_counter()
    if way == "ours":
        result = predict_scene(predictor, scene, merge="serving", georef="serving",
                                         batch_size=1)
        row = {"tiles": result.tiles, "slicks": len(result.slicks),
               "model_s": result.timings["model"], "stages_s": result.timings}
    else:
        row = _baseline(predictor, scene)
    row.update(way=way, backend=backend, device=predictor.device,
               total_s=time.perf_counter() - start, peak_rss_mb=peak_mb())
    queue.put(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a 5000 x 4000 scene")
    size.add_argument("--quarter", action="store_true", help="a 12500 x 8500 scene")
    parser.add_argument("--backend", default="onnx", choices=["torch", "onnx"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) inputs in")
    args = parser.parse_args()
    width, height = QUICK if args.quick else QUARTER if args.quarter else FULL
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-serving-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        scene = work / f"{SCENE_ID}_{width}x{height}.tif"
        if not scene.is_file():
            from cerulean_tiling import write_synthetic_grd

            partial = scene.with_suffix(".partial.tif")
            write_synthetic_grd(partial, width, height)
            partial.rename(scene)
        bundle = work / "unet-resnet34.bundle"
        if not bundle.is_dir():
            partial_bundle = work / "unet-resnet34.partial"
            shutil.rmtree(partial_bundle, ignore_errors=True)
            write_bundle(partial_bundle)
            partial_bundle.rename(bundle)
        ctx = mp.get_context("spawn")
        rows = {}
        for way in ("ours", "baseline"):
            queue = ctx.Queue()
            proc = ctx.Process(target=_measure, args=(way, str(bundle), str(scene),
                                                      args.backend, args.device, queue))
            proc.start()
            rows[way] = queue.get()
            proc.join()
            print(f"{way}: {json.dumps(rows[way])}", flush=True)
        print(f"scene {width}x{height} uint16, 210 GCPs, UNet-ResNet34 ({args.backend}) at "
              f"zoom 9 / 512 px, the service's 3 tilesets, batch 1")
        print(f"{'way':<10}{'tiles':>6}{'slicks':>7}{'total s':>10}{'model s':>10}"
              f"{'other s':>10}{'peak MB':>9}")
        for way, r in rows.items():
            print(f"{way:<10}{r['tiles']:>6}{r['slicks']:>7}{r['total_s']:>10.1f}"
                  f"{r['model_s']:>10.1f}{r['total_s'] - r['model_s']:>10.1f}"
                  f"{r['peak_rss_mb']:>9.0f}")
        print(f"baseline / ours time: {rows['baseline']['total_s'] / rows['ours']['total_s']:.2f}"
              f"; outside the model: "
              f"{(rows['baseline']['total_s'] - rows['baseline']['model_s']):.1f} s against "
              f"{(rows['ours']['total_s'] - rows['ours']['model_s']):.1f} s")
        print(json.dumps(list(rows.values()), indent=1))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
