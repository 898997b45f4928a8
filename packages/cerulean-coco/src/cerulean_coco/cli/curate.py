"""``cerulean-coco split``, ``filter`` and ``merge``."""

from __future__ import annotations

from pathlib import Path

import click

from cerulean_coco.cli.options import dataset_in, output_folder, overwrite
from cerulean_coco.curation.filters import FilterSpec, filter_dataset
from cerulean_coco.curation.merge import Prefer, merge_datasets
from cerulean_coco.curation.split import check_fractions, split_root, write_split
from cerulean_coco.errors import ClassPolicyError, NegativesError, SplitError
from cerulean_tiling import PRESETS


def _remaps(ctx: click.Context, param: click.Parameter,
            values: tuple[str, ...]) -> tuple[str, ...]:
    """``--remap`` values must read SOURCE=TARGET (the names are checked on the dataset)."""
    for value in values:
        source, sep, target = value.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise click.BadParameter(f"{value!r} is not SOURCE=TARGET, e.g. "
                                     "old_vessel=recent_vessel", ctx=ctx, param=param)
    return values


@click.command()
@click.argument("roots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--val", type=float, default=0.2, show_default=True,
              help="Share of each class folder's scenes for validation.")
@click.option("--test", type=float, default=0.1, show_default=True,
              help="Share of each class folder's scenes for testing.")
@click.option("--seed", type=int, default=0, show_default=True, help="Shuffle seed.")
@output_folder
@overwrite
def split(roots: tuple[Path, ...], val: float, test: float, seed: int, output: Path,
          overwrite: bool) -> None:
    """Split the scenes under ROOTS into train/val/test scene lists.

    Scenes (never tiles) are split, stratified by class folder, deterministically for a
    seed. OUTPUT receives train.txt, val.txt and test.txt, which `build` accepts, and
    split.json with the counts.
    """
    try:
        check_fractions(val, test)
    except SplitError as exc:
        raise click.UsageError(str(exc)) from None
    result = split_root(list(roots), val, test, seed)
    write_split(result, output, overwrite=overwrite)
    counts = ", ".join(f"{k} {len(v)}" for k, v in result.lists().items())
    click.echo(f"{output}: {counts} scenes")


@click.command("filter")
@dataset_in
@output_folder
@click.option("--remove", multiple=True, metavar="CLASS",
              help="Drop this class's annotations (images stay). Repeatable.")
@click.option("--drop-images-with", multiple=True, metavar="CLASS",
              help="Drop every image holding this class. Repeatable.")
@click.option("--remap", multiple=True, metavar="A=B", callback=_remaps,
              help="Relabel class A as B. Repeatable.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)),
              help="Apply a named class remap, e.g. cloud4 (the serving model's classes).")
@click.option("--min-area", type=click.IntRange(min=0), default=0,
              help="Drop instances smaller than this many pixels.")
@click.option("--negatives", type=click.IntRange(min=0), default=0,
              help="Add this many empty tiles (drawn from the build's record) as images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --negatives.")
@overwrite
def filter_command(dataset: Path, output: Path, remove: tuple[str, ...],
                   drop_images_with: tuple[str, ...], remap: tuple[str, ...],
                   preset: str | None, min_area: int, negatives: int, seed: int,
                   overwrite: bool) -> None:
    """Write a filtered copy of DATASET to OUTPUT.

    Steps run in this order, class names referring to DATASET's classes: drop images
    with a class, remove classes, remap (or preset), drop small instances, add negatives.
    Tiles are hard-linked where possible.
    """
    try:
        spec = FilterSpec(remove=remove, drop_images_with=drop_images_with, remap=remap,
                          preset=preset, min_area=min_area, negatives=negatives, seed=seed)
    except (ClassPolicyError, NegativesError) as exc:  # options that cannot go together
        raise click.UsageError(str(exc)) from None
    document = filter_dataset(dataset, output, spec, overwrite=overwrite)
    click.echo(f"{output}: {len(document.images)} images, {len(document.annotations)} "
               f"annotations, classes {', '.join(c.name for c in document.categories)}")


@click.command()
@click.argument("datasets", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_folder
@click.option("--prefer", type=click.Choice(["error", "first", "last"]), default="error",
              show_default=True,
              help="An image in several inputs: refuse, or keep the first/last input's.")
@overwrite
def merge(datasets: tuple[Path, ...], output: Path, prefer: Prefer, overwrite: bool) -> None:
    """Merge DATASETS into OUTPUT, reassigning image and annotation ids."""
    document = merge_datasets(list(datasets), output, prefer=prefer, overwrite=overwrite)
    click.echo(f"{output}: {len(document.images)} images, "
               f"{len(document.annotations)} annotations")


__all__ = ["filter_command", "merge", "split"]
