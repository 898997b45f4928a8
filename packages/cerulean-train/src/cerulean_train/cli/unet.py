"""``cerulean-train unet``: train a UNet run folder from a config and flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cerulean_tiling.command_line import show_progress
from cerulean_train.cli.options import RUN_OPTION_KEYS, overrides, run_config, run_options


@click.command("unet")
@run_options
@click.option("--backbone", help="resnet18, resnet34, resnet50 or xresnet18_narrow (CPU).")
@click.option("--crop", type=click.Choice(["whole", "random", "slick"]),
              help="Training images: whole tiles, random crops, or crops biased to slicks.")
@click.option("--repeats", type=int, help="Crops per training tile and epoch.")
def unet_command(config_path: Path | None, output: Path, resume: bool, progress: bool | None,
                 **flags: Any) -> None:
    """Train a UNet (fastai DynamicUnet) on a cerulean-coco dataset.

    The production recipe is the default: CrossEntropy, DiceMulti, one-cycle at lr 1e-3
    with weight decay 0.01, optional progressive-resizing stages. Every epoch is
    validated on the validation dataset's whole tiles and checkpointed into the run
    folder (config.json, checkpoints/, history.csv, tensorboard/, weights.pt, run.json).

    \b
    Examples:
      cerulean-train unet --config configs/unet-demo.yaml \\
          --train data/train --val data/val -o runs/unet
      cerulean-train unet --train data/train --val data/val --backbone resnet34 \\
          --size 512 --epochs 20 --device cuda -o runs/unet-r34
      cerulean-train unet -o runs/unet --resume
      torchrun --nproc_per_node 2 -m cerulean_train unet --config run.yaml -o runs/ddp
    """
    from cerulean_train.devices import processes
    from cerulean_train.unet.backbones import BACKBONES
    from cerulean_train.unet.config import UNetConfig
    from cerulean_train.unet.trainer import train_unet

    values = overrides(flags, (*RUN_OPTION_KEYS, "backbone", "crop", "repeats"))
    if "backbone" in values and values["backbone"] not in BACKBONES:
        raise click.BadParameter(f"unknown backbone {values['backbone']!r}; known: "
                                 f"{', '.join(BACKBONES)}", param_hint="--backbone")
    config = run_config(UNetConfig, config_path, output, resume, values)
    result = train_unet(config, output, resume=resume, progress=show_progress(progress))
    if processes().main:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items()
                          if k in ("oil_iou", "dice_multi") or k.startswith("iou_"))
        click.echo(f"{result.run_dir}: {result.epochs} epochs, kept epoch "
                   f"{result.best_epoch + 1}: {shown}")


__all__ = ["unet_command"]
