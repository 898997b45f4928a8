"""Options shared by ``predict`` and ``predict-many``, and by other packages' commands.

``model_options`` and ``postprocess_options`` are public (``cerulean_infer.model_options``):
``cerulean-eval run`` takes a model and its post-processing with the same options, so
whatever ``cerulean-infer predict`` accepts, an evaluation accepts too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_infer.presets import PRESETS, PostprocessPreset
from cerulean_tiling.command_line import progress_option

F = TypeVar("F", bound=Callable[..., Any])


def parse_thresholds(values: tuple[str, ...]) -> dict[str, float]:
    """``KEY=VALUE`` pairs → {key: float}, KEY a threshold of the presets.

    Raises:
        click.BadParameter: a pair without ``=``, a key no preset has, or a value that is
            not a number (a usage error: exit 2).
    """
    known = sorted({f.name for f in fields(PostprocessPreset)} - {"name", "arch"})
    out = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="--threshold")
        if key.strip() not in known:
            raise click.BadParameter(f"{key.strip()!r} is not a threshold; known: "
                                     f"{', '.join(known)}", param_hint="--threshold")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{text!r}: {value!r} is not a number",
                                     param_hint="--threshold") from None
    return out


def _device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``--device``: auto, cpu, cuda or cuda:N (whether CUDA is there is checked later)."""
    if re.fullmatch(r"auto|cpu|cuda(:\d+)?", value) is None:
        raise click.BadParameter(f"{value!r} is not auto, cpu, cuda or cuda:N",
                                 ctx=ctx, param=param)
    return value


def check_georef(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``spline`` or ``serving``; the old ``affine`` is refused with where to go instead."""
    if value == "affine":
        raise click.BadParameter("'affine' matched no real placement and is gone: the "
                                 "service's tiler warps through the GCPs; use "
                                 "--georef serving")
    if value not in ("spline", "serving"):
        raise click.BadParameter(f"{value!r} is not one of 'spline', 'serving'")
    return value


def device_options(func: F) -> F:
    """--device, --backend: where and with what a model runs."""
    decorators = [
        click.option("--device", default="auto", show_default=True, callback=_device,
                     help="auto, cpu, cuda or cuda:N."),
        click.option("--backend", type=click.Choice(["auto", "torch", "onnx"]),
                     default="auto", show_default=True,
                     help="auto uses model.onnx on CPU when the bundle has one."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def model_options(func: F) -> F:
    """--bundle, --model-row, and :func:`device_options`."""
    decorators = [
        click.option("--bundle", "bundle", required=True,
                     type=click.Path(exists=True, path_type=Path),
                     help="A model bundle folder, or a bare TorchScript model file "
                          "(then --model-row is required)."),
        click.option("--model-row", type=click.Path(exists=True, dir_okay=False,
                                                    path_type=Path),
                     help="The serving service's model row (JSON): runs a production "
                          "model file as the service would, or overrides a bundle's "
                          "thresholds."),
        device_options,
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def postprocess_options(merge_default: str = "ours",
                        preset_flags: tuple[str, ...] = ("--preset", "--postprocess"),
                        ) -> Callable[[F], F]:
    """--preset/--postprocess, --threshold and --merge (passed as ``postprocess``,
    ``thresholds`` and ``merge``).

    Args:
        merge_default: ``ours`` (inference) or ``serving`` (what evaluation measures).
        preset_flags: the option names of the post-processing preset.
    """
    decorators = [
        click.option(*preset_flags, "postprocess", type=click.Choice(sorted(PRESETS)),
                     default=None,
                     help="Post-processing preset (default: the bundle's, e.g. unet-serving)."),
        click.option("--threshold", "thresholds", multiple=True, metavar="KEY=VALUE",
                     help="Override one preset threshold, e.g. poly_score_thresh=0.6 "
                          "(repeatable)."),
        click.option("--merge", type=click.Choice(["ours", "serving"]),
                     default=merge_default, show_default=True,
                     help="ours: blended probabilities and mask-overlap merging; serving: "
                          "the serving service's per-tileset steps, exactly."),
    ]

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def scene_options(func: F) -> F:
    """--aux, --batch-size, --georef, --tilesets, --land, --sea-ice, --progress."""
    decorators = [
        click.option("--aux", multiple=True, metavar="NAME=PATH",
                     help="Source of an auxiliary channel the model takes, as in "
                          "cerulean-tiling: infra_distance=infra.geojson, "
                          "vessel_density=density_{month}.tif (repeatable)."),
        click.option("--batch-size", type=click.IntRange(min=1), default=None,
                     help="Tiles per model call [default: 8 on CUDA, 1 on CPU, where a "
                          "bigger batch is no faster and costs ~300 MB a tile]."),
        click.option("--georef", default="spline", show_default=True, callback=check_georef,
                     metavar="[spline|serving]",
                     help="spline: thin-plate spline through the GCPs; serving: each tile "
                          "rendered by rio-tiler as the service's tiler renders it "
                          "(GDAL's GCP polynomial; needs cerulean-infer[serving])."),
        click.option("--tilesets", type=click.IntRange(min=1), default=3, show_default=True,
                     help="Offset tilesets (shifted by 1/N of a tile; the service runs 3)."),
        click.option("--land", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="GeoJSON land polygons: tiles wholly on land are skipped, and "
                          "slicks within 1 km of land get stored_class LAND."),
        click.option("--sea-ice", metavar="PATH",
                     help="Sea-ice mask for the scene's date (GeoJSON polygons, or a "
                          "raster with a CRS whose nonzero pixels are ice; {date} is "
                          "the scene's YYYYMMDD): slicks on it get stored_class SEA_ICE."),
        progress_option,
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


__all__ = ["check_georef", "device_options", "model_options", "parse_thresholds",
           "postprocess_options", "scene_options"]
