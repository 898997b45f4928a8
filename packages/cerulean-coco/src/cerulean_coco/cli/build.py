"""``cerulean-coco build``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cerulean_coco.building.build import build_dataset
from cerulean_coco.cli.options import output_folder, overwrite
from cerulean_coco.errors import BuildIncompleteError
from cerulean_tiling.cli.options import config_from_options, tiling_options
from cerulean_tiling.command_line import progress_option


@click.command()
@click.argument("scenes", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_folder
@tiling_options
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes of the local dask cluster.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Use this dask scheduler (tcp://host:port) instead of a local cluster.")
@overwrite
@progress_option
def build(scenes: tuple[Path, ...], output: Path, workers: int, scheduler: str | None,
          overwrite: bool, progress: bool | None, **tiling: Any) -> None:
    """Tile SCENES into a COCO dataset at OUTPUT, resuming an interrupted build.

    SCENES are scene folders, roots of class folders, or text files listing scene
    folders. Each scene runs as a dask task; a failing scene is reported and the others
    go on, but annotations.json is then not written (the exit status is 1; the built
    scenes are kept for the rerun). Rerunning the same command after an interruption or
    a fix redoes only the unfinished scenes.
    """
    config = config_from_options(tiling)
    report = build_dataset(list(scenes), output, config, workers=workers, scheduler=scheduler,
                           overwrite=overwrite, progress=progress)
    click.echo(
        f"{report.dataset}: {len(report.built)} scene(s) built, {len(report.skipped)} already "
        f"built, {len(report.failed)} failed; {report.images} images, "
        f"{report.annotations} annotations, {report.negatives} empty tiles recorded"
    )
    # The per-scene failures are part of the report (stdout); stderr gets the one line.
    for outcome in report.failed:
        click.echo(f"failed: {outcome.scene_path}: {outcome.error}")
    if report.failed:
        total = len(report.failed) + len(report.built) + len(report.skipped)
        first = report.failed[0]
        raise BuildIncompleteError(
            f"{report.dataset}: {len(report.failed)} of {total} scene(s) failed, first "
            f"{first.scene_path}: {first.error}; annotations.json not written, fix and rerun "
            "to retry them"
        )


__all__ = ["build"]
