"""Options shared by ``run`` and ``score``: the scoring settings and the output folder.

The model and post-processing options (``--bundle``, ``--model-row``, ``--postprocess``,
``--threshold``, ``--merge`` ...) are cerulean-infer's own, so an evaluation takes what
``cerulean-infer predict`` takes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_eval.cocoeval import BACKENDS, COCO_IOU_THRESHOLDS
from cerulean_eval.config import EvalConfig
from cerulean_eval.errors import ConfigError
from cerulean_tiling import PRESETS
from cerulean_tiling.command_line import progress_option

F = TypeVar("F", bound=Callable[..., Any])


def parse_values(value: str) -> tuple[float, ...]:
    """Numbers written as ``a,b,c`` or ``start:step:stop`` (both ends included).

    Raises:
        click.BadParameter: neither form, or a part that is not a number.
    """
    try:
        if ":" in value:
            lo, step, hi = (float(v) for v in value.split(":"))
            n = round((hi - lo) / step) + 1
            return tuple(round(lo + i * step, 10) for i in range(n))
        return tuple(float(v) for v in value.split(","))
    except (ValueError, ZeroDivisionError):
        raise click.BadParameter(f"{value!r} is not 'a,b,c' or 'start:step:stop'") from None


def _thresholds(ctx: click.Context, param: click.Parameter,
                value: str | None) -> tuple[float, ...]:
    return COCO_IOU_THRESHOLDS if value is None else parse_values(value)


def eval_options(func: F) -> F:
    """Attach the scoring options and ``-o/--output``, ``--overwrite``, ``--progress``."""
    options = [
        click.option("--config", "config_file", default=None,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="TOML, YAML or JSON file of scoring settings (keys like "
                          "match_metric); options given on the command line win."),
        click.option("-o", "--output", required=True,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Output folder (written complete or not at all)."),
        click.option("--overwrite", is_flag=True, help="Replace an existing output folder."),
        click.option("--preset", default=None,
                     type=click.Choice([*sorted(PRESETS), "none"], case_sensitive=False),
                     help="Class remap preset applied to the truth (e.g. cloud4). run: "
                          "default the model's class_preset; score: default none."),
        click.option("--match-dice", type=float, default=0.2, show_default=True,
                     help="Geodesic polygon Dice at which a served slick matches a true one "
                          "(the row's groundtruth_dice_thresh)."),
        click.option("--bootstrap", type=click.IntRange(min=0), default=1000,
                     show_default=True,
                     help="Scene resamples behind the 95% intervals (0: none)."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="Seed of the bootstrap resamples."),
        click.option("--examples", type=int, default=3, show_default=True,
                     help="Best and worst tiles shown in the examples grid."),
        click.option("--maps", type=click.IntRange(min=0), default=12, show_default=True,
                     help="Scenes drawn on maps in report.html, those with the most true "
                          "and served slicks (0: none)."),
        click.option("--diagnostic/--no-diagnostic", default=True, show_default=True,
                     help="Also score the raw per-tile outputs (COCO AP, tile instances); "
                          "never a headline number."),
        click.option("--iou-thresholds", callback=_thresholds, default=None,
                     help="Diagnostic: COCO IoU thresholds, 'a,b,c' or 'start:step:stop' "
                          "(default 0.5:0.05:0.95; as low as 0.05)."),
        click.option("--coco-backend", type=click.Choice(BACKENDS), default="pycocotools",
                     show_default=True, help="Diagnostic: COCOeval implementation."),
        click.option("--match-metric", type=click.Choice(["dice", "iou"]), default="dice",
                     show_default=True, help="Diagnostic: mask overlap matching tile instances."),
        click.option("--match-threshold", type=float, default=0.5, show_default=True,
                     help="Diagnostic: overlap at which a tile instance matches a true one."),
        click.option("--score-threshold", type=float, default=0.5, show_default=True,
                     help="Diagnostic: lowest raw instance score painted into a tile."),
        click.option("--mask-threshold", type=float, default=0.5, show_default=True,
                     help="Diagnostic: mask probability at which a pixel is in."),
        progress_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


_SETTINGS = ("match_dice", "bootstrap", "seed", "examples", "maps", "diagnostic",
             "iou_thresholds", "coco_backend", "match_metric", "match_threshold",
             "score_threshold", "mask_threshold")


def config_from(options: dict[str, Any]) -> EvalConfig:
    """An :class:`EvalConfig` from ``--config`` and the parsed options (consumes their keys).

    Options typed on the command line override the file; defaults do not.
    """
    ctx = click.get_current_context()
    path = options.pop("config_file")
    given = {name: options.pop(name) for name in _SETTINGS}
    explicit = {name: value for name, value in given.items()
                if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    try:
        if path is None:
            return EvalConfig(**{k: v for k, v in given.items() if v is not None})
        return EvalConfig.load(path).override(explicit)
    except ConfigError as exc:
        if path is not None and str(exc).startswith(str(path)):
            raise
        raise click.BadParameter(str(exc)) from None


def not_oil_options(func: F) -> F:
    """Attach ``--land`` and ``--sea-ice``: the masks served slicks are reclassified with."""
    options = [
        click.option("--land", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     default=None,
                     help="GeoJSON land polygons: served slicks within 1 km of land are "
                          "stored as LAND, as the service stores them, and not counted."),
        click.option("--sea-ice", metavar="PATH", default=None,
                     help="Sea-ice mask (GeoJSON polygons, or a raster with a CRS whose "
                          "nonzero pixels are ice; {date} is each scene's YYYYMMDD): served "
                          "slicks on it are stored as SEA_ICE and not counted."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def preset_from(value: str | None) -> str | None:
    """``--preset`` value: None when absent or 'none'."""
    return None if value is None or value.lower() == "none" else value


__all__ = ["config_from", "eval_options", "not_oil_options", "parse_values", "preset_from"]
