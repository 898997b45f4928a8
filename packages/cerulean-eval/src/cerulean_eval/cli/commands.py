"""The ``run``, ``score`` and ``compare`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cerulean_coco import CocoDataset
from cerulean_eval.checks import check_output
from cerulean_eval.cli.options import config_from, eval_options, not_oil_options, preset_from
from cerulean_eval.compare import compare_table, format_table
from cerulean_eval.evaluation import EvalResult
from cerulean_eval.outputs import SERVING_ROW, write_outputs
from cerulean_eval.run import RunOptions, run_model
from cerulean_eval.score import FORMATS, ScoreOptions, score_predictions
from cerulean_infer import model_options, parse_thresholds, postprocess_options
from cerulean_tiling.command_line import show_progress


def _report(output: Path, result: EvalResult) -> None:
    s = result.summary
    line = (f"{output}: pixel_f1={s['pixel_f1']:.4f} instance_f1={s['instance_f1']:.4f} "
            f"slicks: {s['slicks_found']} of {s['slicks_true']} found, {s['slicks_false']} "
            f"false ({s['slicks_predicted']} served)")
    if result.model is not None:
        line += f"; measured row → {output / SERVING_ROW}"
    click.echo(line)


@click.command("run")
@model_options
@postprocess_options(merge_default="serving", preset_flags=("--postprocess",))
@click.option("--coco", "coco", required=True, type=click.Path(exists=True, path_type=Path),
              help="COCO dataset folder (annotations.json + tiles/), cut on the model's grid.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Tiles per model call.")
@not_oil_options
@eval_options
def run_command(bundle: Path, model_row: Path | None, device: str, backend: str,
                postprocess: str | None, thresholds: tuple[str, ...], merge: str, coco: Path,
                batch_size: int, land: Path | None, sea_ice: str | None,
                **options: Any) -> None:
    """Evaluate a model on a COCO dataset through the post-processing it is served with.

    The model is a bundle, or a production TorchScript file with its serving row
    (--bundle model.pt --model-row row.json), as cerulean-infer predict takes it. Each
    scene's tiles are stitched on the model's grid and turned into slicks by
    cerulean-infer with the row's thresholds and the serving merge (change them with
    --postprocess, --threshold, --merge); those slicks are scored. With --land or
    --sea-ice, slicks the service stores as LAND or SEA_ICE are not counted (they stay in
    slicks.geojson). Writes metrics.json, slicks.geojson, the measured serving row, the
    model card, plots, scene maps and report.html into -o DIR.

    Example: cerulean-eval run --bundle models/unet.bundle --coco datasets/val -o eval/unet
    """
    output, overwrite = options.pop("output"), options.pop("overwrite")
    check_output(output, overwrite)
    preset, progress = preset_from(options.pop("preset")), show_progress(options.pop("progress"))
    config = config_from(options)
    run = RunOptions(postprocess=postprocess, thresholds=parse_thresholds(thresholds),
                     merge=merge, class_preset=preset, batch_size=batch_size, device=device,
                     backend=backend, land=land, sea_ice=sea_ice, progress=progress)
    dataset = CocoDataset.open(coco)
    result = run_model(bundle, dataset, config, run, model_row=model_row, output=output,
                       overwrite=overwrite)
    write_outputs(result, output, overwrite=overwrite, title=f"{bundle.name} on {coco.name}")
    _report(output, result)


@click.command("score")
@click.option("--coco", "coco", required=True, type=click.Path(exists=True, path_type=Path),
              help="COCO dataset folder (the ground truth).")
@click.option("--predictions", required=True, type=click.Path(exists=True, path_type=Path),
              help="GeoJSON slicks (each with its scene_id), COCO results JSON, or a folder "
                   "of <tile>.tif/.png class rasters.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto",
              show_default=True, help="Predictions format (auto: by path).")
@postprocess_options(merge_default="serving", preset_flags=("--postprocess",))
@click.option("--truth-geojson", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="GeoJSON truth slicks (with scene_id) for the slick scores.")
@click.option("--allow-empty", is_flag=True,
              help="Score empty predictions (metrics 0) instead of refusing them.")
@not_oil_options
@eval_options
def score_command(coco: Path, predictions: Path, fmt: str, postprocess: str | None,
                  thresholds: tuple[str, ...], merge: str, truth_geojson: Path | None,
                  allow_empty: bool, land: Path | None, sea_ice: str | None,
                  **options: Any) -> None:
    """Score saved predictions against a COCO dataset.

    GeoJSON slicks are scored as they are. COCO results and class rasters are raw tile
    outputs: they are stitched per scene and post-processed by cerulean-infer as a
    Mask R-CNN's (COCO) or a UNet's (rasters) would be (--postprocess, --threshold,
    --merge), then scored; --land and --sea-ice reclassify their slicks as the service
    does. A GeoJSON feature whose stored_class is LAND or SEA_ICE is not counted. Category
    ids (COCO results) and class indices (rasters) are those of the dataset's categories,
    or of --preset's classes when given.

    Example: cerulean-eval score --coco datasets/val --predictions slicks.geojson -o eval/run1
    """
    output, overwrite = options.pop("output"), options.pop("overwrite")
    check_output(output, overwrite)
    preset, progress = preset_from(options.pop("preset")), show_progress(options.pop("progress"))
    config = config_from(options)
    score = ScoreOptions(fmt=fmt, class_preset=preset, postprocess=postprocess,
                         thresholds=parse_thresholds(thresholds), merge=merge,
                         allow_empty=allow_empty, truth_geojson=truth_geojson, land=land,
                         sea_ice=sea_ice, progress=progress)
    dataset = CocoDataset.open(coco)
    result = score_predictions(dataset, predictions, config, score, output=output,
                               overwrite=overwrite)
    write_outputs(result, output, overwrite=overwrite,
                  title=f"{predictions.name} on {coco.name}")
    _report(output, result)


@click.command("compare")
@click.argument("runs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def compare_command(runs: tuple[Path, ...]) -> None:
    """Print the summaries of evaluation folders side by side; * marks the best value.

    Example: cerulean-eval compare eval/unet eval/maskrcnn
    """
    click.echo(format_table(compare_table(runs)))


__all__ = ["compare_command", "run_command", "score_command"]
