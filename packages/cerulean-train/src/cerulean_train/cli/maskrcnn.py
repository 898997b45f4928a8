"""``cerulean-train maskrcnn``: train a Mask R-CNN on cerulean-coco datasets."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import click

from cerulean_train.config import read_run_config
from cerulean_train.errors import CheckpointError


def _numbers(kind: type[int] | type[float]) -> Any:
    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return [kind(v) for v in value.split(",") if v.strip()]
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a comma-separated list of "
                                     f"{kind.__name__}s") from None
    return parse


def _channels(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _describe(row: dict[str, float], epochs: int) -> str:
    ap = row.get("segm_ap", math.nan)
    ap50 = row.get("segm_ap50", math.nan)
    return (f"epoch {int(row['epoch'])}/{epochs}: train loss {row['train_loss']:.3f}, "
            f"val loss {row['val_loss']:.3f}, mask AP {ap:.3f} (AP50 {ap50:.3f}), "
            f"{row['seconds']:.0f} s")


@click.command("maskrcnn")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Run config (YAML, TOML or JSON; keys of MaskRCNNConfig). Flags override it.")
@click.option("--train", "train", help="Training dataset folder (cerulean-coco).")
@click.option("--val", "val", help="Validation dataset folder (cerulean-coco).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Run folder (new or empty; with --resume, the run to continue).")
@click.option("--backbone", help="tiny, resnet18, resnet34, resnet50, resnet101 or "
                                 "resnext101_32x8d.")
@click.option("--epochs", type=int, help="Epochs to train.")
@click.option("--batch-size", type=int, help="Images per step and process.")
@click.option("--size", type=int, help="Tile side in pixels (the model's min/max size).")
@click.option("--channels", callback=_channels,
              help="Three input channels, comma-separated: vv, infra_distance, "
                   "vessel_density, constant (255) or constant=V.")
@click.option("--classes-preset", help="Class remap at load time (cloud4), or 'none' to "
                                       "keep the dataset's categories.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to train.")
@click.option("--seed", type=int, help="Seed of everything random.")
@click.option("--lr", type=float, help="Peak learning rate of the one-cycle schedule.")
@click.option("--patience", type=int, help="Stop after this many epochs without a better "
                                           "validation score (0: never).")
@click.option("--anchor-sizes", callback=_numbers(int),
              help="Anchor side per FPN level, 5 comma-separated pixel sizes.")
@click.option("--aspect-ratios", callback=_numbers(float),
              help="Anchor aspect ratios, comma-separated (slicks are long and thin).")
@click.option("--mask-pool-size", type=int, help="Mask RoIAlign output side (14; production 56).")
@click.option("--pretrained", is_flag=True, default=None,
              help="Start the backbone from torchvision's ImageNet weights (downloads them "
                   "once into torch's cache).")
@click.option("--weights", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Start from a state-dict file: a whole model (best.pt) or a backbone.")
@click.option("--num-workers", type=int, help="Data-loading worker processes.")
@click.option("--resume", is_flag=True, help="Continue the run in -o from its last epoch.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def maskrcnn(config_path: Path | None, output: Path, resume: bool, progress: bool,
             classes_preset: str | None, weights: Path | None, **flags: Any) -> None:
    """Train a Mask R-CNN (torchvision, ResNet/ResNeXt FPN) on cerulean-coco datasets.

    Writes the run folder -o: config.yaml (the resolved settings), model.json,
    checkpoint.pt (each epoch), best.pt, metrics.csv and tensorboard/ logs; prints one
    line per epoch with the validation loss and mask AP. Export it with
    `cerulean-train export RUN -o NAME.bundle`. Under `torchrun --nproc_per_node N -m
    cerulean_train maskrcnn ...` it trains data-parallel (gloo on CPU, NCCL on CUDA).

    \b
    Example:
      cerulean-train maskrcnn --config configs/maskrcnn-demo.yaml \\
          --train data/train --val data/val -o runs/mrcnn
    """
    from cerulean_train.maskrcnn.config import MaskRCNNConfig
    from cerulean_train.maskrcnn.trainer import train_maskrcnn

    overrides = {k: v for k, v in flags.items() if v is not None}
    if weights is not None:
        overrides["weights"] = str(weights)
    if classes_preset is not None and classes_preset != "none":
        overrides["classes_preset"] = classes_preset
    if resume and config_path is None:
        saved = read_run_config(output)
        if not isinstance(saved, MaskRCNNConfig):
            raise CheckpointError(f"{output}: not a Mask R-CNN run")
        config = saved.override(overrides)
    else:
        config = MaskRCNNConfig.load(config_path, overrides)
    if classes_preset == "none":
        config = dataclasses.replace(config, classes_preset=None)
    result = train_maskrcnn(config, output, resume=resume, progress=progress,
                            on_epoch=lambda row: click.echo(_describe(row, config.epochs)))
    best = result.best
    click.echo(f"{output}: {result.epochs} epochs"
               f"{' (stopped early)' if result.stopped_early else ''}; best epoch "
               f"{result.best_epoch}: mask AP {best.get('segm_ap', math.nan):.3f}, "
               f"val loss {best.get('val_loss', math.nan):.3f}")


__all__ = ["maskrcnn"]
