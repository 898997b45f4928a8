"""The ``cerulean-coco`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

import click

from cerulean_coco.cli.build import build
from cerulean_coco.cli.curate import filter_command, merge, split
from cerulean_coco.cli.describe import stats, validate
from cerulean_coco.cli.transfer import pull, push
from cerulean_coco.errors import CeruleanCocoError
from cerulean_coco.version import __version__
from cerulean_tiling import CeruleanTilingError, configure_logging, run_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cerulean-coco")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Build, curate and describe COCO datasets of oil slicks in Sentinel-1 tiles."""
    configure_logging(verbose)


for _command in (build, split, filter_command, stats, validate, merge, push, pull):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, (CeruleanCocoError, CeruleanTilingError),
                     prog_name="cerulean-coco")


__all__ = ["cli", "main"]
