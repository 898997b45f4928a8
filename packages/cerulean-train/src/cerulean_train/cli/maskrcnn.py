"""``cerulean-train maskrcnn``: train a Mask R-CNN run folder from a config and flags."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from cerulean_tiling.command_line import show_progress
from cerulean_train.cli.options import RUN_OPTION_KEYS, overrides, run_config, run_options

MASKRCNN_OPTION_KEYS = ("backbone", "anchor_sizes", "aspect_ratios", "mask_pool_size",
                        "monitor")


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


def describe_epoch(row: dict[str, Any], epochs: int) -> str:
    """One line per finished epoch: losses and mask AP as they come."""
    return (f"epoch {int(row['epoch']) + 1}/{epochs}: train loss {row['train_loss']:.3f}, "
            f"val loss {row['val_loss']:.3f}, mask AP {row['segm_ap']:.3f} "
            f"(AP50 {row['segm_ap50']:.3f}), {row['seconds']:.0f} s")


@click.command("maskrcnn")
@run_options
@click.option("--backbone", help="tiny (CPU tests and demos), resnet18, resnet34, resnet50, "
                                 "resnet101 or resnext101_32x8d.")
@click.option("--anchor-sizes", callback=_numbers(int),
              help="Anchor side per FPN level: 5 comma-separated pixel sizes.")
@click.option("--aspect-ratios", callback=_numbers(float),
              help="Anchor aspect ratios, comma-separated (slicks are long and thin).")
@click.option("--mask-pool-size", type=int,
              help="Mask RoIAlign output side (torchvision 14; production used 56).")
@click.option("--monitor", "--metric", "monitor", type=click.Choice(["val_loss", "segm_ap"]),
              help="What early stopping and the kept weights follow (--metric: the same).")
def maskrcnn(config_path: Path | None, output: Path, resume: bool, progress: bool | None,
             **flags: Any) -> None:
    """Train a Mask R-CNN (torchvision, ResNet/ResNeXt FPN) on cerulean-coco datasets.

    Each epoch is validated (loss and COCO mask AP, printed as they come) and
    checkpointed into the run folder (config.json, checkpoints/, history.csv,
    tensorboard/, weights.pt, run.json). Export it with `cerulean-train export RUN -o
    NAME.bundle`, which scripts the model inside the serving runtime (torch 2.0.1).

    \b
    Examples:
      cerulean-train maskrcnn --config configs/maskrcnn-demo.yaml \\
          --train data/train --val data/val -o runs/mrcnn
      cerulean-train maskrcnn --train data/train --val data/val --backbone resnext101_32x8d \\
          --mask-pool-size 56 --aspect-ratios 0.1,0.25,0.5,1,2,4,10 --device cuda -o runs/x101
      cerulean-train maskrcnn -o runs/mrcnn --resume
      torchrun --nproc_per_node 2 -m cerulean_train maskrcnn --config run.yaml -o runs/ddp
    """
    from cerulean_train.devices import processes
    from cerulean_train.maskrcnn.config import MaskRCNNConfig
    from cerulean_train.maskrcnn.trainer import train_maskrcnn

    values = overrides(flags, (*RUN_OPTION_KEYS, *MASKRCNN_OPTION_KEYS))
    config = run_config(MaskRCNNConfig, config_path, output, resume, values)
    result = train_maskrcnn(config, output, resume=resume, progress=show_progress(progress),
                            on_epoch=lambda row: click.echo(describe_epoch(row, config.epochs)))
    if processes().main:
        best = result.metrics
        click.echo(f"{result.run_dir}: {result.epochs} epochs"
                   f"{' (stopped early)' if result.stopped_early else ''}, kept epoch "
                   f"{result.best_epoch + 1}: mask AP {best.get('segm_ap', math.nan):.3f}, "
                   f"AP50 {best.get('segm_ap50', math.nan):.3f}, "
                   f"val loss {best.get('val_loss', math.nan):.3f}")


__all__ = ["MASKRCNN_OPTION_KEYS", "describe_epoch", "maskrcnn"]
