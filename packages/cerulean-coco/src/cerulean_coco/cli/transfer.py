"""``cerulean-coco push`` and ``pull``: datasets to and from S3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_coco.transfer import TransferReport, TransferSettings
from cerulean_tiling.command_line import progress_option, tqdm_disable

F = TypeVar("F", bound=Callable[..., Any])


def s3_options(func: F) -> F:
    """Options shared by push and pull (concurrency, retries, billing, credentials)."""
    options = [
        click.option("--workers", type=click.IntRange(min=1), default=8, show_default=True,
                     help="Files moved at once (large files also move this many parts at once)."),
        click.option("--part-size", type=click.IntRange(min=5), default=64, show_default=True,
                     metavar="MIB", help="Multipart chunk size in MiB (S3 minimum 5)."),
        click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
                     help="Retries per request after timeouts, dropped connections, 5xx."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0,
                     show_default=True, help="Seconds to wait for a connection or for data."),
        click.option("--requester-pays", is_flag=True,
                     help="Accept the charges of a requester-pays bucket."),
        click.option("--profile", default=None, help="AWS profile (default: usual AWS config)."),
        progress_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(options: dict[str, Any]) -> TransferSettings:
    part = options["part_size"] * (1 << 20)
    return TransferSettings(
        workers=options["workers"], part_size=part, threshold=part,
        attempts=options["retries"] + 1, timeout=options["timeout"],
        requester_pays=options["requester_pays"], profile=options["profile"],
    )


@click.command()
@click.argument("dataset", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("destination", metavar="s3://BUCKET/PREFIX")
@s3_options
def push(dataset: Path, destination: str, **options: Any) -> None:
    """Upload DATASET under s3://BUCKET/PREFIX.

    Files whose object already has the same size and SHA-256 are skipped, so an
    interrupted push resumes; every upload is checked against its SHA-256.
    """
    from cerulean_coco.transfer import push as push_dataset

    with _bar(options) as bar:
        report = push_dataset(dataset, destination, _settings(options), progress=bar.update)
    _summary(report, "uploaded")


@click.command()
@click.argument("source", metavar="s3://BUCKET/PREFIX")
@click.argument("dataset", type=click.Path(path_type=Path, file_okay=False))
@s3_options
def pull(source: str, dataset: Path, **options: Any) -> None:
    """Download s3://BUCKET/PREFIX into the folder DATASET.

    Local files with the object's size and SHA-256 are skipped, so an interrupted pull
    resumes; downloads appear under their name only once their checksum matches.
    """
    from cerulean_coco.transfer import pull as pull_dataset

    with _bar(options) as bar:
        report = pull_dataset(source, dataset, _settings(options), progress=bar.update)
    _summary(report, "downloaded")


def _bar(options: dict[str, Any]) -> Any:
    from tqdm import tqdm

    return tqdm(total=None, unit="B", unit_scale=True,
                disable=tqdm_disable(options["progress"]))


def _summary(report: TransferReport, verb: str) -> None:
    click.echo(
        f"{len(report.transferred)} file(s) {verb} ({report.bytes} bytes), "
        f"{len(report.skipped)} already up to date"
    )


__all__ = ["pull", "push"]
