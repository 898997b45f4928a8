"""The ``calibrate`` command: sweep a model's serving thresholds on validation data."""

from __future__ import annotations

from pathlib import Path

import click

from cerulean_coco import CocoDataset
from cerulean_eval.calibrate import DEFAULT_KEYS, Grid, calibrate_model
from cerulean_eval.calibration_outputs import (
    CALIBRATED_ROW,
    calibration_table,
    write_calibration,
)
from cerulean_eval.checks import check_output
from cerulean_eval.cli.options import parse_values, preset_from
from cerulean_eval.config import EvalConfig
from cerulean_eval.errors import ConfigError
from cerulean_eval.run import RunOptions, prepare_run
from cerulean_infer import model_options, parse_thresholds, postprocess_options
from cerulean_tiling import PRESETS
from cerulean_tiling.command_line import progress_option, show_progress


def _grid(ctx: click.Context, param: click.Parameter,
          values: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{text!r} is not KEY=VALUES")
        out[key.strip()] = parse_values(value)
    return out


@click.command("calibrate")
@model_options
@postprocess_options(merge_default="serving", preset_flags=("--postprocess",))
@click.option("--coco", "coco", required=True, type=click.Path(exists=True, path_type=Path),
              help="VALIDATION dataset (never the test data the model is measured on).")
@click.option("--grid", "grid", multiple=True, callback=_grid, metavar="KEY=VALUES",
              help="A threshold and its values, 'a,b,c' or 'start:step:stop' (repeatable, "
                   "one or two thresholds). Default: "
                   + "; ".join(f"{arch}: {' × '.join(keys)} at 0.1:0.1:0.9"
                               for arch, keys in DEFAULT_KEYS.items()) + ".")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Tiles per model call.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (written complete or not at all).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--preset", default=None,
              type=click.Choice([*sorted(PRESETS), "none"], case_sensitive=False),
              help="Class remap preset applied to the truth (default: the model's).")
@click.option("--match-dice", type=float, default=0.2, show_default=True,
              help="Geodesic polygon Dice at which a served slick matches a true one.")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Scene resamples behind the best setting's 95% intervals (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@progress_option
def calibrate_command(bundle: Path, model_row: Path | None, device: str, backend: str,
                      postprocess: str | None, thresholds: tuple[str, ...], merge: str,
                      coco: Path, grid: dict[str, tuple[float, ...]], batch_size: int,
                      output: Path, overwrite: bool, preset: str | None, match_dice: float,
                      bootstrap: int, seed: int, progress: bool | None) -> None:
    """Sweep a model's serving thresholds on validation data and write the best as a row.

    The model runs once per scene; each setting re-runs only the service's post-processing
    (cerulean-infer's merge_scene) on its outputs and scores the served slicks. Prints the
    table (instance F1, pixel F1, slick precision and recall per setting) and writes
    calibration.json, calibration.png, calibration.md and the row with the best
    thresholds (cerulean-cloud-model.json, pixel_f1/instance_f1 null) into -o DIR. The
    best is the highest instance F1 (ties: pixel F1, then nearest the current setting).

    Example: cerulean-eval calibrate --bundle models/unet.bundle --coco datasets/val
    -o calib/unet
    """
    check_output(output, overwrite)
    try:
        config = EvalConfig(match_dice=match_dice, bootstrap=bootstrap, seed=seed,
                            diagnostic=False, examples=0)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    run = RunOptions(postprocess=postprocess, thresholds=parse_thresholds(thresholds),
                     merge=merge, class_preset=preset_from(preset), batch_size=batch_size,
                     device=device, backend=backend,
                     progress=show_progress(progress))
    dataset = CocoDataset.open(coco)
    prepared = prepare_run(bundle, dataset, config, run, model_row, output, overwrite)
    try:
        sweep = Grid.of(prepared.model.manifest.arch, grid)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--grid") from None
    predictor = prepared.model.load(device, backend)
    calibration = calibrate_model(predictor, dataset, prepared, config, run, sweep)
    write_calibration(calibration, prepared.model, output, overwrite=overwrite)
    click.echo(calibration_table(calibration))
    best = calibration.scores[calibration.best]
    summary = best.summary(calibration.names)
    click.echo(f"{output}: best {', '.join(f'{k}={v:g}' for k, v in best.thresholds.items())}"
               f" (instance_f1={summary.instance_f1:.4f} pixel_f1={summary.pixel_f1:.4f} on "
               f"{coco.name}, {len(calibration.data.scenes)} scene(s)); row → "
               f"{output / CALIBRATED_ROW}")


__all__ = ["calibrate_command"]
