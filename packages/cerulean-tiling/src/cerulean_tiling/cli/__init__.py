"""The ``cerulean-tiling`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_tiling.cli.commands import COMMANDS
from cerulean_tiling.cli.fetch import download, search
from cerulean_tiling.cli.manifest import annotation_manifest
from cerulean_tiling.command_line import cli_group, run_group
from cerulean_tiling.version import __version__

cli = cli_group(
    "cerulean-tiling", __version__,
    "Turn annotated Sentinel-1 scene folders into georeferenced tiles and masks.")


for _command in COMMANDS:
    cli.add_command(_command)
cli.add_command(search)
cli.add_command(download)
cli.add_command(annotation_manifest)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, prog_name="cerulean-tiling")


__all__ = ["cli", "main"]
