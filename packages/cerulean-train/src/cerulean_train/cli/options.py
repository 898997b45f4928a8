"""Options shared by the training commands, and how they become config overrides.

Every flag defaults to None ("not given"), so a config file's value stands unless a
flag is passed: flags override the file, the file overrides the built-in defaults.
A value the config refuses is bad data in a file (exit 1) but a usage error as a flag
(exit 2, naming the flag); the config's checks are the one definition of both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_tiling.command_line import progress_option
from cerulean_tiling.settings import flag_message
from cerulean_train.config import RunConfig
from cerulean_train.configs import read_run_config
from cerulean_train.errors import BackboneError, ConfigError

F = TypeVar("F", bound=Callable[..., Any])

RUN_OPTION_KEYS = ("train", "val", "epochs", "batch_size", "size", "channels",
                   "classes_preset", "device", "seed", "lr", "wd", "num_workers",
                   "augment", "pretrained", "weights", "patience", "grad_accum",
                   "mixed_precision", "negatives")
"""Config keys the shared flags set."""


def run_options(command: F) -> F:
    """Add the flags every trainer takes (see :data:`RUN_OPTION_KEYS`)."""
    options = [
        click.option("--config", "config_path", type=click.Path(path_type=Path),
                     help="YAML, TOML or JSON run config; flags override its values."),
        click.option("--train", help="Training dataset folder (cerulean-coco build output)."),
        click.option("--val", help="Validation dataset folder; metrics use its whole tiles."),
        click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
                     help="Run folder to create (or continue with --resume)."),
        click.option("--epochs", type=int, help="Training epochs (without stages)."),
        click.option("--batch-size", type=int, help="Images per step and device."),
        click.option("--size", type=int, help="Training image side in pixels."),
        click.option("--channels", help="Input channels in order, comma-separated: vv, "
                     "infra_distance, vessel_density, constant[=V]."),
        click.option("--classes-preset", help="Class remap preset (cloud4), or 'none' to "
                     "keep the dataset's categories."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]),
                     help="Where to train (auto: CUDA when available)."),
        click.option("--seed", type=int, help="Seed of everything random."),
        click.option("--lr", type=float, help="Peak one-cycle learning rate."),
        click.option("--wd", type=float, help="Weight decay."),
        click.option("--num-workers", type=int, help="Data-loading worker processes."),
        click.option("--augment/--no-augment", default=None,
                     help="Random flips, affine and VV jitter on training images."),
        click.option("--pretrained/--no-pretrained", default=None,
                     help="Start from cached ImageNet weights (never downloads)."),
        click.option("--weights", type=click.Path(path_type=Path),
                     help="Start from this state-dict file (weights.pt or a checkpoint)."),
        click.option("--patience", type=int, help="Early stopping patience in epochs (0: off)."),
        click.option("--grad-accum", type=int, help="Batches accumulated per optimiser step."),
        click.option("--mixed-precision/--no-mixed-precision", default=None,
                     help="float16 autocast on CUDA (ignored on CPU)."),
        click.option("--negatives", type=int, help="At most this many tiles without slicks."),
        click.option("--resume", is_flag=True,
                     help="Continue the run in --output from its last checkpoint."),
        progress_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def overrides(values: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The config overrides among parsed flag ``values`` (flags not given are dropped)."""
    out = {k: values[k] for k in keys if values.get(k) is not None}
    if "weights" in out:
        out["weights"] = str(out["weights"])
    return out


C = TypeVar("C", bound=RunConfig)

def with_flags(config: C, values: dict[str, Any]) -> C:
    """``config`` with the flags' ``values`` applied and checked.

    Raises:
        click.UsageError: a flag's value is out of range or unknown to the config
            (the message names the flag, e.g. ``--lr: -0.01 is out of range``).
    """
    try:
        return config.override(values)
    except (ConfigError, BackboneError) as exc:
        raise click.UsageError(flag_message(str(exc))) from None


def run_config(kind: type[C], config_path: Path | None, output: Path, resume: bool,
               values: dict[str, Any]) -> C:
    """The config a training command runs with: the run folder's own on ``--resume``
    without ``--config``, else ``config_path``'s (or the defaults); flags over either.

    Raises:
        click.BadParameter: ``--resume`` names a run of another architecture.
        click.UsageError: a flag's value is refused (see :func:`with_flags`).
    """
    if resume and config_path is None:
        config = read_run_config(output)
        if not isinstance(config, kind):
            raise click.BadParameter(f"{output} is a {config.arch} run", param_hint="-o")
    else:
        config = kind.load(config_path)
    return with_flags(config, values)


__all__ = ["RUN_OPTION_KEYS", "overrides", "run_config", "run_options", "with_flags"]
