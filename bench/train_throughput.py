"""Benchmark: training throughput with the real data loader vs tensors already in memory.

For a UNet on ResNet-34 and a Mask R-CNN on ResNet-34, both at 512 px, in one run:

1. the baseline: training steps on batches that are already tensors in memory (the
   same batches the loader produced, collected before the clock starts), so only the
   model's forward, backward and optimiser step are timed;
2. the job: the same number of training steps fed by the real loader (tiles read from
   a cerulean-coco dataset, channels picked, rasters/instance targets built, collated)
   with ``--workers`` loader processes.

Prints images per second of each and their ratio (loader / in-memory; target >= 0.9:
the loader keeps up with the model). The dataset is built here from synthetic scenes
(or reused from ``--keep``).

Usage: ``python bench/train_throughput.py [--steps N] [--batch-size B] [--workers W]
[--device cpu|cuda] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch


def _dataset(root: Path) -> Path:
    from cerulean_coco import build_dataset
    from cerulean_tiling import TilingConfig, write_scenes

    out = root / "dataset"
    if not (out / "annotations.json").exists():
        write_scenes(root / "scenes", n=8, seed=2)
        build_dataset([root / "scenes"], out, TilingConfig(), workers=2, progress=False)
    return out


def _timed(steps: int, batches: Iterable[Any], step: Callable[[Any], int],
           sync: Callable[[], None]) -> float:
    """Images per second over ``steps`` training steps drawn from ``batches``."""
    images = 0
    iterator = iter(batches)
    start = time.perf_counter()
    for _ in range(steps):
        images += step(next(iterator))
    sync()
    return images / (time.perf_counter() - start)


def _cycle(loader: Any) -> Iterable[Any]:
    while True:
        yield from loader


def unet_half(dataset: Path, args: argparse.Namespace,
              device: torch.device) -> tuple[float, float]:
    """(in-memory, loader) images/s for a ResNet-34 UNet on whole 512-px tiles."""
    from cerulean_coco import CocoDataset
    from cerulean_tiling import ClassMap
    from cerulean_train import SemanticDataset, build_unet, worker_init

    coco = CocoDataset.open(dataset)
    classes = ClassMap.build(coco.categories, "cloud4")
    ds = SemanticDataset(coco, ["vv"], classes, crop="whole")
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True,
                                         drop_last=True, num_workers=args.workers,
                                         worker_init_fn=worker_init,
                                         persistent_workers=args.workers > 0)
    model = build_unet("resnet34", 1, classes.num_classes).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> int:
        x, y = batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        return len(x)

    memory = [(x.to(device), y.to(device)) for x, y in loader]
    step(memory[0])  # warm-up (allocations, kernels)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    in_memory = _timed(args.steps, _cycle(memory), step, sync)
    with_loader = _timed(args.steps, _cycle(loader), step, sync)
    return in_memory, with_loader


def maskrcnn_half(dataset: Path, args: argparse.Namespace,
                  device: torch.device) -> tuple[float, float]:
    """(in-memory, loader) images/s for a ResNet-34 FPN Mask R-CNN on 512-px tiles.

    The tiles carry VV only, so the two other inputs are the constant 255 channel, as
    the serving service feeds a 3-channel model when aux layers are missing.
    """
    from cerulean_coco import CocoDataset
    from cerulean_tiling import ClassMap
    from cerulean_train import InstanceDataset, ModelSpec, collate_detection, make_model

    coco = CocoDataset.open(dataset)
    classes = ClassMap.build(coco.categories, "cloud4")
    ds = InstanceDataset(coco, ["vv", "constant", "constant"], classes)
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True,
                                         drop_last=True, num_workers=args.workers,
                                         collate_fn=collate_detection,
                                         persistent_workers=args.workers > 0)
    model = make_model(ModelSpec(backbone="resnet34", num_classes=classes.num_classes))
    model = model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step(batch: Any) -> int:
        images, targets = batch
        images = [x.to(device, non_blocking=True) for x in images]
        targets = [{k: v.to(device, non_blocking=True) for k, v in t.items()}
                   for t in targets]
        opt.zero_grad()
        sum(model(images, targets).values()).backward()
        opt.step()
        return len(images)

    memory = [b for _, b in zip(range(max(len(loader), 1)), _cycle(loader), strict=False)]
    step(memory[0])  # warm-up (allocations, kernels)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    return (_timed(args.steps, _cycle(memory), step, sync),
            _timed(args.steps, _cycle(loader), step, sync))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--keep", type=Path, help="Folder to build (or reuse) the dataset in.")
    args = parser.parse_args()
    device = torch.device(args.device)
    root = args.keep or Path(tempfile.mkdtemp(prefix="cerulean-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    dataset = _dataset(root)
    print(f"device {device}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"{args.steps} steps, {args.workers} loader workers")
    results = {"unet-resnet34": unet_half(dataset, args, device),
               "maskrcnn-resnet34": maskrcnn_half(dataset, args, device)}
    for name, (memory, loader) in results.items():
        print(f"{name:18s} in-memory {memory:7.2f} img/s   loader {loader:7.2f} img/s   "
              f"ratio {loader / memory:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
