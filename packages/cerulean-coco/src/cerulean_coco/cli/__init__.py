"""The ``cerulean-coco`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_coco.cli.build import build
from cerulean_coco.cli.curate import filter_command, merge, split
from cerulean_coco.cli.describe import stats, validate
from cerulean_coco.cli.transfer import pull, push
from cerulean_coco.version import __version__
from cerulean_tiling.command_line import cli_group, run_group

cli = cli_group(
    "cerulean-coco", __version__,
    "Build, curate and describe COCO datasets of oil slicks in Sentinel-1 tiles.")


for _command in (build, split, filter_command, stats, validate, merge, push, pull):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, prog_name="cerulean-coco")


__all__ = ["cli", "main"]
