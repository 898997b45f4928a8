"""The ``cerulean-infer`` command line: thin click commands over the library."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import click
from rasterio.errors import NotGeoreferencedWarning

from cerulean_infer.cli.info import info
from cerulean_infer.cli.predict import predict, predict_many_command
from cerulean_infer.errors import CeruleanInferError
from cerulean_infer.version import __version__
from cerulean_tiling import CeruleanTilingError, configure_logging, run_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cerulean-infer")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Run slick detectors over whole Sentinel-1 scenes, to GeoJSON polygons."""
    configure_logging(verbose)
    if verbose == 0:
        # A raster without GCPs or a transform fails with one line naming it; rasterio's
        # warning about it would only come first.
        warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)


for _command in (predict, predict_many_command, info):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, (CeruleanInferError, CeruleanTilingError),
                     prog_name="cerulean-infer")


__all__ = ["cli", "main"]
