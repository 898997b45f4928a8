"""The ``cerulean-infer`` command line: thin click commands over the library."""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_infer.cli.info import info
from cerulean_infer.cli.predict import predict, predict_many_command
from cerulean_infer.version import __version__
from cerulean_tiling.command_line import cli_group, run_group

# Without -v the group ignores Python warnings (configure_logging), rasterio's
# NotGeoreferencedWarning included: a raster without GCPs or a transform fails with one
# line naming it, and the warning would only come first.
cli = cli_group(
    "cerulean-infer", __version__,
    "Run slick detectors over whole Sentinel-1 scenes, to GeoJSON polygons.")


for _command in (predict, predict_many_command, info):
    cli.add_command(_command)


def main(args: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run_group(cli, args, prog_name="cerulean-infer")


__all__ = ["cli", "main"]
