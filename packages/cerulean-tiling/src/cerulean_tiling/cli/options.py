"""Click options shared by every command that tiles (here and in cerulean-coco)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_tiling.config import ChannelSpec, TilingConfig
from cerulean_tiling.errors import CeruleanTilingError
from cerulean_tiling.settings import flag_message

F = TypeVar("F", bound=Callable[..., Any])


def _aux(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[ChannelSpec, ...]:
    try:
        return tuple(ChannelSpec.parse(v) for v in values)
    except CeruleanTilingError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


_OPTIONS = [
    click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
                 path_type=Path),
                 help="Tiling settings from a TOML, YAML or JSON file (options override)."),
    click.option("--grid", type=click.Choice(["tms", "pixel"]), default=None,
                 help="tms: WorldCRS84Quad tiles, as served (default). pixel: windows of the "
                      "warped scene."),
    click.option("--zoom", type=int, default=None, help="WorldCRS84Quad zoom (default 9, ≈76 m)."),
    click.option("--tile-size", type=int, default=None, help="Tile size in pixels (default 512)."),
    click.option("--overlap", type=int, default=None,
                 help="Pixels shared by neighbouring windows (pixel grid only)."),
    click.option("--aux", multiple=True, callback=_aux, metavar="NAME=PATH",
                 help="Aux channel after VV, in order: infra_distance=FILE (GeoJSON or distance "
                      "raster in m), vessel_density=RASTER ({month} allowed), constant[=255]."),
    click.option("--alpha-threshold", type=int, default=None,
                 help="Layer pixels with alpha above this are painted (default 0)."),
    click.option("--colour-tolerance", type=int, default=None,
                 help="Per-channel tolerance when matching class colours (default 24)."),
    click.option("--class-rasters/--no-class-rasters", default=None,
                 help="Also write per-tile class-id rasters (semantic segmentation)."),
    click.option("--gcps-from", default=None, metavar="LOCATION",
                 help="Read GCPs from this GRD raster (path, URL or s3://…; {scene_id} is "
                      "replaced) instead of the scene folder."),
]


TILING_OPTION_NAMES = ("config_file", "grid", "zoom", "tile_size", "overlap", "aux",
                       "alpha_threshold", "colour_tolerance", "class_rasters", "gcps_from")
"""Keyword names the tiling options pass to a command, in declaration order."""


def tiling_options(func: F) -> F:
    """Decorate a click command with the tiling options (see :func:`config_from_options`)."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def config_from_options(options: dict[str, Any]) -> TilingConfig:
    """Build a :class:`TilingConfig` from the tiling options (file, then flags).

    Raises:
        ConfigError: the ``--config`` file is unusable (exit 1: bad data).
        click.UsageError: the flags, alone or over the file, make no valid config (exit 2).
    """
    file = options.get("config_file")
    base = TilingConfig.load(file) if file else TilingConfig()
    flags = {key: options[key] for key in TILING_OPTION_NAMES
             if key not in ("config_file", "aux") and options.get(key) is not None}
    if options.get("aux"):
        flags["aux"] = tuple(options["aux"])
    if (flags.get("grid", base.grid) == "tms") and options.get("overlap") is None:
        flags["overlap"] = 0
    try:
        return base.override(flags)
    except CeruleanTilingError as exc:
        raise click.UsageError(flag_message(str(exc))) from None


__all__ = ["TILING_OPTION_NAMES", "config_from_options", "tiling_options"]
