"""The ``run``, ``score`` and ``compare`` commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cerulean_coco import CocoDataset
from cerulean_eval.cli.options import config_from, device_option, eval_options, preset_from
from cerulean_eval.compare import compare_table, format_table
from cerulean_eval.outputs import write_outputs
from cerulean_eval.run import FORMATS, run_bundle, score_predictions


def _progress(value: bool | None) -> bool:
    return sys.stderr.isatty() if value is None else value


def _report(output: Path, summary: dict[str, Any]) -> None:
    keys = ("pixel_f1", "oil_iou", "instance_f1", "segm_ap", "segm_ap50", "slicks_found",
            "slicks_true")
    shown = " ".join(f"{k}={summary[k]:.4f}" if isinstance(summary.get(k), float)
                     else f"{k}={summary.get(k)}" for k in keys if k in summary)
    click.echo(f"{output}: {shown}")


@click.command("run")
@click.option("--bundle", required=True, type=click.Path(exists=True, file_okay=False,
                                                         path_type=Path),
              help="Model bundle folder (<name>.bundle).")
@click.option("--coco", "coco", required=True, type=click.Path(exists=True, path_type=Path),
              help="COCO dataset folder (annotations.json + tiles/).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Tiles per model call.")
@click.option("--device", default="auto", show_default=True, callback=device_option,
              help="Torch device for the model (auto, cpu, cuda, cuda:1).")
@click.option("--backend", default="auto", show_default=True,
              type=click.Choice(["auto", "torch", "onnx"]),
              help="Model runtime: auto (ONNX when the bundle has it, on CPU), torch or onnx.")
@eval_options
def run_command(bundle: Path, coco: Path, batch_size: int, device: str, backend: str,
                **options: Any) -> None:
    """Run a model bundle over a COCO dataset's tiles and evaluate it.

    The truth goes through the bundle's class preset (or --preset) when the dataset
    carries more classes than the model predicts. Writes metrics.json, confusion
    matrices, PR curves, example tiles and report.html into -o DIR.

    Example: cerulean-eval run --bundle models/unet.bundle --coco datasets/val -o eval/unet
    """
    output, overwrite = options.pop("output"), options.pop("overwrite")
    preset, progress = preset_from(options.pop("preset")), _progress(options.pop("progress"))
    config = config_from(options)
    dataset = CocoDataset.open(coco)
    result = run_bundle(bundle, dataset, config, preset=preset, batch_size=batch_size,
                        device=device, backend=backend, progress=progress)
    write_outputs(result, output, overwrite=overwrite, title=f"{bundle.name} on {coco.name}")
    _report(output, result.summary)


@click.command("score")
@click.option("--coco", "coco", required=True, type=click.Path(exists=True, path_type=Path),
              help="COCO dataset folder (the ground truth).")
@click.option("--predictions", required=True, type=click.Path(exists=True, path_type=Path),
              help="COCO results JSON, a folder of <tile>.tif/.png class rasters, or "
                   "GeoJSON slicks.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto",
              show_default=True, help="Predictions format (auto: by path).")
@click.option("--truth-geojson", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="GeoJSON truth slicks for the slick-level scores.")
@click.option("--allow-empty", is_flag=True,
              help="Score empty predictions (metrics 0) instead of refusing them.")
@eval_options
def score_command(coco: Path, predictions: Path, fmt: str, truth_geojson: Path | None,
                  allow_empty: bool, **options: Any) -> None:
    """Score saved predictions against a COCO dataset.

    Category ids (COCO results) and class indices (rasters) are those of the
    dataset's categories, or of --preset's classes when given.

    Example: cerulean-eval score --coco datasets/val --predictions results.json -o eval/run1
    """
    output, overwrite = options.pop("output"), options.pop("overwrite")
    preset, progress = preset_from(options.pop("preset")), _progress(options.pop("progress"))
    config = config_from(options)
    dataset = CocoDataset.open(coco)
    result = score_predictions(dataset, predictions, config, fmt=fmt, preset=preset,
                               allow_empty=allow_empty, truth_geojson=truth_geojson,
                               progress=progress)
    write_outputs(result, output, overwrite=overwrite,
                  title=f"{predictions.name} on {coco.name}")
    _report(output, result.summary)


@click.command("compare")
@click.argument("runs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def compare_command(runs: tuple[Path, ...]) -> None:
    """Print the summaries of evaluation folders side by side; * marks the best value.

    Example: cerulean-eval compare eval/unet eval/maskrcnn
    """
    click.echo(format_table(compare_table(runs)))


__all__ = ["compare_command", "run_command", "score_command"]
