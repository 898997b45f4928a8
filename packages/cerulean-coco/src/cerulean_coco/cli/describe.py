"""``cerulean-coco stats`` and ``validate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cerulean_coco.cli.options import dataset_in
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.describe.plotting import plot_histograms, require_matplotlib
from cerulean_coco.describe.stats import compute_stats
from cerulean_coco.describe.validate import validate_dataset
from cerulean_coco.errors import DatasetInvalidError
from cerulean_tiling.command_line import progress_option


@click.command()
@dataset_in
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write one row per instance with its region properties.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write histograms of the region properties per class (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@progress_option
def stats(dataset: Path, csv_path: Path | None, plot_path: Path | None, as_json: bool,
          progress: bool | None) -> None:
    """Describe DATASET: instances per class, images with and without instances,
    per-scene counts, and (with --csv/--plot) the shape of every instance."""
    if plot_path is not None:
        require_matplotlib()
    opened = CocoDataset.open(dataset)
    shapes = csv_path is not None or plot_path is not None
    result = compute_stats(opened, shapes=shapes, progress=progress if shapes else False)
    click.echo(json.dumps(result.to_json(), indent=1) if as_json else result.summary())
    if csv_path is not None:
        result.write_csv(csv_path)
    if plot_path is not None:
        plot_histograms(result, plot_path)


@click.command()
@dataset_in
@click.option("--checksums", is_flag=True,
              help="Also compare every tile file with its recorded SHA-256.")
def validate(dataset: Path, checksums: bool) -> None:
    """Check DATASET and list every problem found (exit status 1 if any)."""
    problems = validate_dataset(dataset, checksums=checksums)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise DatasetInvalidError(f"{dataset}: {len(problems)} problem(s) found")
    click.echo(f"{dataset}: valid")


__all__ = ["stats", "validate"]
