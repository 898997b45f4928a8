"""``info``, ``tile`` and ``synth``: inspect scenes, tile them, make synthetic ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from cerulean_tiling import classes
from cerulean_tiling.cli.options import TILING_OPTION_NAMES, config_from_options, tiling_options
from cerulean_tiling.command_line import progress_option, tqdm_disable
from cerulean_tiling.errors import CeruleanTilingError, TilingRunError
from cerulean_tiling.scenes.folder import discover_scenes
from cerulean_tiling.scenes.inspect import inspect_scene
from cerulean_tiling.synthetic.scenes import parse_size, write_scenes
from cerulean_tiling.tiles.run import tile_scenes


@click.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--gcps-from", default=None, metavar="LOCATION",
              help="Read GCPs from this GRD raster instead of the scene folder.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def info(scenes: tuple[Path, ...], gcps_from: str | None, as_json: bool) -> None:
    """Describe scene folders: id, time, size, GCPs and their fit residuals, layers.

    SCENES are scene folders, roots of class folders, or text files listing scene folders.
    Residuals compare an affine fit, a 2nd-order polynomial and the thin-plate spline
    (leave-one-out) against the GCPs, in metres: the first two show how far a simple
    model would put pixels, the last flags bad GCPs.
    """
    reports = [inspect_scene(path, gcps_from) for path in discover_scenes(scenes)]
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], indent=1))
        return
    for report in reports:
        click.echo(report.to_text())


@click.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for tiles, records and settings.")
@tiling_options
@click.option("--masks/--no-masks", default=True,
              help="Write <tile>_masks.tif (one 0/1 band per instance) for tiles with instances.")
@click.option("--overwrite", is_flag=True,
              help="Replace earlier outputs made with other settings (only this tool's files).")
@progress_option
def tile(scenes: tuple[Path, ...], output: Path, masks: bool, overwrite: bool,
         progress: bool | None, **options: Any) -> None:
    """Tile annotated scene folders into georeferenced GeoTIFFs and instance masks.

    SCENES are scene folders, roots of class folders, or text files listing scene folders.
    Rerunning the same command resumes: scenes already done are skipped.
    """
    config = config_from_options({k: options[k] for k in TILING_OPTION_NAMES})
    paths = discover_scenes(scenes)
    with tqdm(total=len(paths), unit="scene", disable=tqdm_disable(progress),
              desc="tiling") as bar:
        summary = tile_scenes(paths, output, config, overwrite=overwrite, instance_masks=masks,
                              on_scene=lambda _: bar.update())
    n_tiles = sum(len(s.tiles) for s in summary.tiled)
    n_inst = sum(len(t.instances) for s in summary.tiled for t in s.tiles)
    click.echo(f"{len(summary.tiled)} scenes tiled ({n_tiles} tiles, {n_inst} instance pieces), "
               f"{len(summary.skipped)} already done, {len(summary.failed)} failed -> {output}")
    for message in (w for s in summary.tiled for w in s.warnings):
        click.echo(f"warning: {message}", err=True)
    if summary.failed:
        # Each failure is part of the report (stdout); stderr gets the one line.
        for scene, message in summary.failed.items():
            click.echo(f"failed: {scene}: {message}")
        first = next(iter(summary.failed.values()))
        if len(summary.failed) == 1:
            raise TilingRunError(first)
        total = len(summary.failed) + len(summary.tiled) + len(summary.skipped)
        raise TilingRunError(f"{len(summary.failed)} of {total} scenes failed "
                             f"(rerun to retry them), first: {first}")


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scenes", "n", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--size", default="1024x768", show_default=True,
              help="Background size WxH, or 'full' (6458x4181, a 1/4 GRD copy).")
@click.option("--layers", type=click.IntRange(1, 50), default=None,
              help="Instances per scene (default grows with size, 3–10).")
@click.option("--overwrite", is_flag=True, help="Write into a non-empty folder.")
def synth(out: Path, n: int, seed: int, size: str, layers: int | None, overwrite: bool) -> None:
    """Write synthetic annotated scene folders (deterministic for a seed).

    Besides the scene folders, OUT gets infrastructure.geojson, vessel_density.tif and
    synthetic.json (the truth: footprints and instance centroids).
    """
    try:
        dims = parse_size(size)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--size") from None
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise click.ClickException(f"{out}: directory is not empty; use --overwrite")
    scenes = write_scenes(out, n=n, seed=seed, size=dims, layers=layers)
    for scene in scenes:
        names = ", ".join(sorted({classes.by_id(i.class_id).name for i in scene.instances}))
        click.echo(f"{scene.path}  {len(scene.instances)} layers ({names})")


COMMANDS = (info, tile, synth)
__all__ = ["COMMANDS", "CeruleanTilingError"]
