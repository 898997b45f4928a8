"""The ``cerulean-tiling`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

import click

from cerulean_tiling.cli.commands import COMMANDS
from cerulean_tiling.cli.fetch import download, search
from cerulean_tiling.cli.manifest import annotation_manifest
from cerulean_tiling.cli.runner import configure_logging, run_group
from cerulean_tiling.errors import CeruleanTilingError
from cerulean_tiling.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cerulean-tiling")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Turn annotated Sentinel-1 scene folders into georeferenced tiles and masks."""
    configure_logging(verbose)


for _command in COMMANDS:
    cli.add_command(_command)
cli.add_command(search)
cli.add_command(download)
cli.add_command(annotation_manifest)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, (CeruleanTilingError,), prog_name="cerulean-tiling")


__all__ = ["cli", "main"]
