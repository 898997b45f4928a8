"""Benchmark: ``cerulean-eval run`` through the serving path against the model time alone.

Builds a synthetic dataset of about ``--tiles`` tiles (512 px, zoom 9; every tile of each
scene, the empty ones added back as negatives) and a UNet-ResNet34 bundle whose
TorchScript runs the full fastai DynamicUnet (random weights) but answers with a known
function of its input (dark VV is oil), so that timing is a real UNet's and the served
slicks are slicks. Then, in one process, with the model loaded and warmed up:

1. the baseline: every dataset tile through ``Predictor.predict_tiles`` alone, in the
   evaluation's batches, from tiles already in memory;
2. the evaluation: ``run_model`` on the dataset without the raw-tile diagnostic (reading
   tiles, the model, stitching and post-processing each scene with cerulean-infer's
   ``merge_scene``, painting and matching the slicks, the bootstrap); with
   ``--diagnostic``, once more with it.

Prints each evaluation's total against the baseline, and against its own model calls
(the same ratio without the noise of a shared machine between the two passes); target:
the serving path adds at most 20 % (≤ 1.20). Then the evaluation's per-stage timings.

Usage: ``python bench/eval_serving.py [--tiles 200] [--batch-size 4] [--backend auto]
[--device cpu] [--diagnostic] [--keep DIR]`` (with ``--keep``, the dataset and bundle
there are reused).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from infer_scene import save_bundle, unet_resnet34

SCENE_SIZE = (3000, 2200)


def build_dataset(root: Path, tiles: int) -> Path:
    """Synthetic scenes enough for about ``tiles`` tiles, every tile of each one kept."""
    import math

    from cerulean_coco import CocoDataset, FilterSpec, build_dataset, filter_dataset
    from cerulean_tiling import TilingConfig, write_scenes

    def built(scenes: Path, name: str) -> tuple[Path, int]:
        build_dataset([scenes], root / name, TilingConfig(), workers=2, progress=False)
        dataset = CocoDataset.open(root / name)
        assert dataset.manifest is not None
        return root / name, len(dataset.images) + len(dataset.manifest.negatives)

    write_scenes(root / "probe", n=1, seed=1, size=SCENE_SIZE)
    _, per_scene = built(root / "probe", "probe-dataset")
    write_scenes(root / "scenes", n=math.ceil(tiles / per_scene), seed=2, size=SCENE_SIZE)
    annotated, _ = built(root / "scenes", "annotated")
    manifest = CocoDataset.open(annotated).manifest
    assert manifest is not None
    filter_dataset(annotated, root / "all", FilterSpec(negatives=len(manifest.negatives)))
    return root / "all"


def write_bundle(folder: Path) -> None:
    """A UNet-ResNet34 that answers "dark is oil" (model.ts, model.onnx, weights, json)."""
    import torch

    class DarkUnet(torch.nn.Module):
        """The full UNet runs; its logits count for nothing next to the dark-VV head."""

        def __init__(self) -> None:
            super().__init__()
            self.unet = unet_resnet34()

        def forward(self, x: Any) -> Any:
            oil = 9.0 - 90.0 * x
            dark = torch.cat([torch.zeros_like(oil), oil, oil - 20.0, oil - 20.0], dim=1)
            return dark + 0.0 * self.unet(x)

    torch.manual_seed(0)
    save_bundle(folder, DarkUnet().eval(), "dark-unet-resnet34-bench", class_preset="cloud4")


def model_only(predictor: Any, dataset: Any, batch_size: int) -> float:
    """Seconds of ``predict_tiles`` over every tile, in per-scene batches as the run has."""
    import numpy as np

    from cerulean_eval import dataset_scenes
    from cerulean_tiling.channels import read_tile_channels

    seconds = 0.0
    for scene in dataset_scenes(dataset):
        tiles = [read_tile_channels(s.path, ("vv",))[0] for s in scene.samples]
        for start in range(0, len(tiles), batch_size):
            batch = np.stack(tiles[start:start + batch_size])
            t0 = time.perf_counter()
            predictor.predict_tiles(batch)
            seconds += time.perf_counter() - t0
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--diagnostic", action="store_true",
                        help="Also time an evaluation with the raw-tile diagnostic.")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    import numpy as np

    from cerulean_coco import CocoDataset
    from cerulean_eval import EvalConfig, RunOptions, run_model
    from cerulean_infer import describe_model

    work = args.keep or Path(tempfile.mkdtemp(prefix="eval-serving-"))
    try:
        dataset_dir = work / "all" if (work / "all").exists() else build_dataset(work, args.tiles)
        bundle = work / "bench.bundle"
        if not bundle.exists():
            write_bundle(bundle)
        dataset = CocoDataset.open(dataset_dir)
        predictor = describe_model(bundle).load(args.device, args.backend)
        predictor.predict_tiles(np.zeros((args.batch_size, 1, 512, 512), np.uint8) + 100)
        print(f"{len(dataset)} tiles of {len({i.scene_id for i in dataset.images})} scenes; "
              f"backend {predictor.backend} on {predictor.device}, batch {args.batch_size}")
        baseline = model_only(predictor, dataset, args.batch_size)
        print(f"model only: {baseline:.1f} s ({len(dataset) / baseline:.2f} tiles/s)")
        options = RunOptions(batch_size=args.batch_size, device=args.device,
                             backend=args.backend)
        for diagnostic in (False, True) if args.diagnostic else (False,):
            t0 = time.perf_counter()
            result = run_model(bundle, dataset, EvalConfig(diagnostic=diagnostic), options,
                               loaded=lambda _: predictor)
            total = time.perf_counter() - t0
            timings = result.document.timings
            stages = ", ".join(f"{k} {v:.1f}" for k, v in timings.items() if k != "total")
            print(f"eval {'with' if diagnostic else 'without'} diagnostic: {total:.1f} s; "
                  f"ratio to model only {total / baseline:.3f}, to its own model calls "
                  f"{total / timings['model']:.3f} ({stages}); "
                  f"{result.summary['slicks_predicted']} slicks served")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
