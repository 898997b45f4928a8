"""``cerulean-infer predict`` and ``predict-many``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from cerulean_infer.cli.options import (
    model_options,
    parse_thresholds,
    postprocess_options,
    scene_options,
)
from cerulean_infer.many import ManyOptions, open_predictor, predict_many
from cerulean_infer.outputs import SceneOutputs, check_outputs, write_scene_outputs
from cerulean_infer.scene import predict_scene
from cerulean_tiling.command_line import show_progress


@click.command()
@click.argument("scene", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The slicks GeoJSON to write (settings go to OUTPUT's .settings.json).")
@model_options
@postprocess_options()
@scene_options
@click.option("--overlay", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the scene with slicks coloured by class (PNG).")
@click.option("--probabilities", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the merged scene probability raster (COG; UNet, --merge ours).")
@click.option("--probabilities-dtype", type=click.Choice(["uint8", "float32"]),
              default="uint8", show_default=True,
              help="uint8: p×250 with nodata 255; float32: p with nodata NaN.")
def predict(scene: Path, output: Path, bundle: Path, model_row: Path | None, device: str,
            backend: str, postprocess: str | None, thresholds: tuple[str, ...],
            aux: tuple[str, ...], batch_size: int | None, merge: str, georef: str, tilesets: int,
            land: Path | None, sea_ice: str | None, progress: bool | None,
            overlay: Path | None,
            probabilities: Path | None, probabilities_dtype: str) -> None:
    """Predict slick polygons over SCENE.

    SCENE is a Sentinel-1 GRD GeoTIFF with GCPs, an annotated scene folder
    (Background.png + gcps.json or a GRD), or any georeferenced raster.

    \b
    Examples:
      cerulean-infer predict S1A_IW_GRDH_...tif --bundle unet.bundle -o slicks.geojson
      cerulean-infer predict scene/ --bundle model.pt --model-row row.json \\
          --merge serving --georef serving -o production.geojson
    """
    options = _options(bundle, model_row, device, backend, postprocess, thresholds, aux,
                       batch_size, merge, georef, tilesets, land, sea_ice)
    outputs = SceneOutputs(output, overlay, probabilities,
                           probabilities_dtype)  # type: ignore[arg-type]
    check_outputs(outputs)
    predictor = open_predictor(options)
    if probabilities is not None and (predictor.arch != "unet" or merge != "ours"):
        raise click.BadParameter("only a UNet with --merge ours has a merged probability "
                                 "raster", param_hint="--probabilities")
    result = predict_scene(
        predictor, scene, aux=aux, tilesets=tilesets, merge=merge, georef=georef, land=land,
        sea_ice=sea_ice, batch_size=batch_size, progress=show_progress(progress),
        thresholds=options.thresholds)
    write_scene_outputs(result, outputs, predictor.manifest,
                        {"outputs": {"geojson": str(output), "overlay": _str(overlay),
                                     "probabilities": _str(probabilities)}})
    if merge == "serving" and not result.settings["ensemble"]:
        click.echo("one tileset: the service's tileset ensemble was skipped (it keeps only "
                   "slicks another tileset confirms); the slicks are the tileset's own")
    click.echo(f"{result.scene_id}: {len(result.slicks)} slicks from {result.tiles} tiles "
               f"in {result.timings['total']:.1f} s → {output}")


@click.command("predict-many")
@click.argument("scenes", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for one GeoJSON per scene, predict-many.json and summary.json.")
@model_options
@postprocess_options()
@scene_options
@click.option("--overwrite", is_flag=True,
              help="Replace the predictions in OUTPUT made with other settings (without "
                   "it, such a rerun is refused).")
@click.option("--scheduler", metavar="ADDR",
              help="A dask scheduler address (default: a LocalCluster for this run).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="LocalCluster worker processes (each loads the model once).")
def predict_many_command(scenes: tuple[Path, ...], output: Path, bundle: Path,
                         model_row: Path | None, device: str, backend: str,
                         postprocess: str | None, thresholds: tuple[str, ...],
                         aux: tuple[str, ...], batch_size: int | None, merge: str, georef: str,
                         tilesets: int, land: Path | None, sea_ice: str | None,
                         progress: bool | None,
                         overwrite: bool, scheduler: str | None, workers: int) -> None:
    """Predict many SCENES on dask into the folder OUTPUT.

    A rerun skips the scenes whose output is finished (its settings file records this
    run's settings and the GeoJSON's SHA-256) and predicts the others again, so an
    interrupted run resumes. A rerun with other settings (model, thresholds, merge, ...)
    is refused, naming what differs, unless --overwrite.

    \b
    Example:
      cerulean-infer predict-many scenes/*.tif --bundle unet.bundle -o predictions/
    """
    options = _options(bundle, model_row, device, backend, postprocess, thresholds, aux,
                       batch_size, merge, georef, tilesets, land, sea_ice)
    _quiet_dask()
    outcomes = predict_many(list(scenes), output, options, overwrite=overwrite,
                            scheduler=scheduler, workers=workers,
                            progress=show_progress(progress))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "skipped", "failed")}
    click.echo(f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} "
               f"failed → {output}")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise click.ClickException(f"{failed[0].scene}: {failed[0].error}"
                                   + (f" (and {len(failed) - 1} more, see summary.json)"
                                      if len(failed) > 1 else ""))


def _quiet_dask() -> None:
    """Keep dask's scheduler and nanny chatter off stderr unless -v.

    distributed sets its loggers to INFO when imported, so the level is set after the
    import; the scheduler and nannies run in this process (workers log warnings only).
    """
    import distributed  # noqa: F401

    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        logging.getLogger("distributed").setLevel(logging.ERROR)


def _options(bundle: Path, model_row: Path | None, device: str, backend: str,
             postprocess: str | None, thresholds: tuple[str, ...], aux: tuple[str, ...],
             batch_size: int | None, merge: str, georef: str, tilesets: int,
             land: Path | None, sea_ice: str | None) -> ManyOptions:
    return ManyOptions(
        bundle=str(bundle), model_row=_str(model_row), device=device, backend=backend,
        postprocess=postprocess, thresholds=parse_thresholds(thresholds), aux=aux,
        tilesets=tilesets, merge=merge, georef=georef, land=_str(land), sea_ice=sea_ice,
        batch_size=batch_size)


def _str(path: Path | None) -> Any:
    return None if path is None else str(path)


__all__ = ["predict", "predict_many_command"]
