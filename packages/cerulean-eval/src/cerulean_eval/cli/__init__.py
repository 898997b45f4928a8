"""The ``cerulean-eval`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

import click

from cerulean_coco import CeruleanCocoError
from cerulean_eval.cli.calibrate import calibrate_command
from cerulean_eval.cli.commands import compare_command, run_command, score_command
from cerulean_eval.cli.gate import gate_command
from cerulean_eval.errors import CeruleanEvalError
from cerulean_eval.version import __version__
from cerulean_infer import CeruleanInferError
from cerulean_tiling import CeruleanTilingError, configure_logging, run_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cerulean-eval")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Measure oil-slick detectors: pixel, instance (COCO) and slick-level metrics."""
    configure_logging(verbose)


for _command in (run_command, score_command, compare_command, calibrate_command, gate_command):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, (CeruleanEvalError, CeruleanCocoError, CeruleanInferError,
                                 CeruleanTilingError), prog_name="cerulean-eval")


__all__ = ["cli", "main"]
