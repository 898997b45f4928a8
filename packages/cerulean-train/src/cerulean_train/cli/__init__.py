"""The ``cerulean-train`` command line: thin click commands over the library.

Each subcommand lives in its own module of this package and is added to :func:`cli`
here; this module builds the group and maps errors to one line through
cerulean-tiling's runner.
"""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_tiling.command_line import cli_group, run_group
from cerulean_train.version import __version__

cli = cli_group(
    "cerulean-train", __version__,
    "Train oil-slick detectors (UNet, Mask R-CNN) on cerulean-coco datasets and export\n"
    "model bundles that cerulean-infer and the serving service load as they are.")


def _register() -> None:
    from cerulean_train.cli.export import export_command
    from cerulean_train.cli.maskrcnn import maskrcnn
    from cerulean_train.cli.runtime import runtime
    from cerulean_train.cli.unet import unet_command

    cli.add_command(unet_command)
    cli.add_command(maskrcnn)
    cli.add_command(export_command)
    cli.add_command(runtime)


_register()


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, prog_name="cerulean-train")


__all__ = ["cli", "main"]
