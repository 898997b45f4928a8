"""The ``cerulean-eval`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_eval.cli.calibrate import calibrate_command
from cerulean_eval.cli.commands import compare_command, run_command, score_command
from cerulean_eval.cli.gate import gate_command
from cerulean_eval.version import __version__
from cerulean_tiling.command_line import cli_group, run_group

cli = cli_group(
    "cerulean-eval", __version__,
    "Measure oil-slick detectors: pixel, instance (COCO) and slick-level metrics.")


for _command in (run_command, score_command, compare_command, calibrate_command, gate_command):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, prog_name="cerulean-eval")


__all__ = ["cli", "main"]
