"""Benchmark: one real-size Sentinel-1 GRD scene through ``cerulean-infer`` (UNet-ResNet34).

Writes cerulean-tiling's synthetic GRD GeoTIFF (``write_synthetic_grd``: uint16,
25 000 × 17 000 px, 210 GCPs of a tilted swath whose ground-range spacing grows across
track, written in strips) and a UNet-ResNet34 bundle
(fastai DynamicUnet on a torchvision resnet34, 1 channel, 4 classes, random weights:
timing does not depend on them), traced to TorchScript and exported to ONNX. Then, for
each backend, in a fresh child process:

1. ``predict_scene`` on the GRD (three tilesets, merge ``ours``): the total wall time,
   the tiles predicted, tiles per second and the peak RSS (VmHWM) at its end;
2. the baseline: the same tiles (cut from the same rendered scene, empty tiles left
   out as the scene run does) through ``predict_tiles`` alone, same batch size.

Prints total / model-only (target ≤ 1.10: everything around the model adds at most
10 %) and the peak RSS (target ≤ 2 GB). The model is loaded and run once on one batch
before either clock starts. ``--quick`` uses a 5 000 × 4 000 scene.

Usage: ``python bench/infer_scene.py [--quick] [--backend torch onnx] [--batch-size N]
[--device auto] [--keep DIR]`` (with ``--keep``, the scene and bundle there are reused).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

FULL = (25_000, 17_000)
QUICK = (5_000, 4_000)
SCENE_ID = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"


def unet_resnet34() -> Any:
    """fastai's DynamicUnet on ResNet34, random weights: 1 channel in, 4 classes out."""
    from fastai.vision.learner import create_body
    from fastai.vision.models.unet import DynamicUnet
    from torchvision.models import resnet34

    return DynamicUnet(create_body(resnet34(), n_in=1, pretrained=False), n_out=4,
                       img_size=(512, 512))


def save_bundle(folder: Path, model: Any, name: str, **manifest: Any) -> None:
    """``model`` (512 × 512 VV tiles to 4 class logits) as a bundle in ``folder``:
    model.ts + model.onnx + weights.pt + bundle.json (``manifest`` adds its fields)."""
    import torch

    from cerulean_infer import BundleManifest, Runtime

    folder.mkdir(parents=True)
    example = torch.rand(1, 1, 512, 512)
    with torch.no_grad():
        torch.jit.trace(model, example).save(str(folder / "model.ts"))
    torch.onnx.export(model, (example,), str(folder / "model.onnx"), input_names=["x"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    torch.save(model.state_dict(), folder / "weights.pt")
    BundleManifest(
        name=name, arch="unet", backbone="resnet34",
        classes=("background", "infra_slick", "natural_seep", "vessel"),
        category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
        runtime=Runtime(torch.__version__.split("+")[0], "bench"), has_onnx=True, **manifest,
    ).write(folder)


def write_bundle(folder: Path) -> None:
    """UNet-ResNet34 (random weights) as model.ts + model.onnx + weights.pt + bundle.json."""
    import torch

    torch.manual_seed(0)
    save_bundle(folder, unet_resnet34().eval(), "unet-resnet34-bench")


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def _measure(bundle: str, scene: str, backend: str, device: str, batch_size: int | None,
             queue: Any) -> None:
    import numpy as np

    from cerulean_infer import Predictor, predict_scene, scene_batches

    predictor = Predictor.from_bundle(bundle, device=device, backend=backend)
    size = predictor.manifest.tile_size
    batch_size = batch_size or predictor.batch_size
    predictor.predict_tiles(np.full((batch_size, 1, size, size), 100, dtype=np.uint8))
    start = time.perf_counter()
    result = predict_scene(predictor, scene, batch_size=batch_size)
    total = time.perf_counter() - start
    peak = peak_mb()
    batches = list(scene_batches(predictor, scene, batch_size=batch_size))
    start = time.perf_counter()
    for pixels in batches:
        predictor.predict_tiles(pixels)
    model_only = time.perf_counter() - start
    queue.put({"backend": backend, "device": predictor.device, "tiles": result.tiles,
               "total_s": total, "model_only_s": model_only, "peak_rss_mb": peak,
               "stages_s": result.timings, "slicks": len(result.slicks),
               "decimation": result.settings["decimation"], "batch_size": batch_size})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 5000 x 4000 scene")
    parser.add_argument("--backend", nargs="+", default=["torch", "onnx"],
                        choices=["torch", "onnx"])
    parser.add_argument("--batch-size", type=int, default=None,
                        help="tiles per model call (default: the predictor's, 1 on CPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) inputs in")
    args = parser.parse_args()
    width, height = QUICK if args.quick else FULL
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-infer-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        scene = work / f"{SCENE_ID}_{width}x{height}.tif"
        if not scene.is_file():
            from cerulean_tiling import write_synthetic_grd

            t0 = time.perf_counter()
            partial = scene.with_suffix(".partial.tif")
            write_synthetic_grd(partial, width, height)
            partial.rename(scene)
            print(f"scene {width}x{height} written in {time.perf_counter() - t0:.1f} s")
        bundle = work / "unet-resnet34.bundle"
        if not bundle.is_dir():
            partial_bundle = work / "unet-resnet34.partial"
            shutil.rmtree(partial_bundle, ignore_errors=True)
            write_bundle(partial_bundle)
            partial_bundle.rename(bundle)
        ctx = mp.get_context("spawn")
        rows = []
        for backend in args.backend:
            queue = ctx.Queue()
            proc = ctx.Process(target=_measure, args=(str(bundle), str(scene), backend,
                                                      args.device, args.batch_size, queue))
            proc.start()
            rows.append(queue.get())
            proc.join()
        print(f"scene {width}x{height} uint16, 210 GCPs, UNet-ResNet34 at zoom 9 / 512 px, "
              f"3 tilesets")
        print(f"{'backend':<8}{'device':<8}{'batch':>6}{'tiles':>6}{'total s':>10}"
              f"{'model s':>10}{'ratio':>8}{'tiles/s':>9}{'peak MB':>9}")
        for r in rows:
            print(f"{r['backend']:<8}{r['device']:<8}{r['batch_size']:>6}{r['tiles']:>6}"
                  f"{r['total_s']:>10.1f}"
                  f"{r['model_only_s']:>10.1f}{r['total_s'] / r['model_only_s']:>8.3f}"
                  f"{r['tiles'] / r['total_s']:>9.2f}{r['peak_rss_mb']:>9.0f}")
        print("targets: ratio <= 1.10, peak RSS <= 2048 MB")
        print(json.dumps(rows, indent=1))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
