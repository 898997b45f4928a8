"""``cerulean-tiling search`` and ``download``: Sentinel-1 GRD scenes through eodag."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.command_line import progress_option, tqdm_disable

F = TypeVar("F", bound=Callable[..., Any])

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]


def network_options(func: F) -> F:
    """``--retries`` and ``--timeout``, shared by the commands that use the network."""
    func = click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
        help="Seconds to wait for a connection or for more data before retrying.",
    )(func)
    return click.option(
        "--retries", type=click.IntRange(min=0), default=4, show_default=True,
        help="Retries after a transient fault (timeout, dropped connection, HTTP 5xx/429), "
        "with exponential backoff. Refused credentials and missing scenes fail at once.",
    )(func)


@click.command()
@click.option("--bbox", nargs=4, type=float, required=True, metavar="W S E N",
              help="Area of interest in degrees (west south east north).")
@click.option("--start", type=click.DateTime(_DATE_FORMATS), required=True,
              help="First acquisition day or time (UTC).")
@click.option("--end", type=click.DateTime(_DATE_FORMATS), required=True,
              help="Last acquisition day (inclusive) or time (UTC).")
@click.option("--provider", default=None,
              help="eodag provider (e.g. cop_dataspace, peps, planetary_computer, "
              "earth_search); default: eodag's preferred one.")
@click.option("--max", "max_results", type=click.IntRange(min=1), default=50,
              show_default=True, help="Stop after this many scenes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scenes as a GeoJSON FeatureCollection (input of `download`).")
@network_options
def search(
    bbox: tuple[float, float, float, float], start: datetime, end: datetime,
    provider: str | None, max_results: int, output: Path | None, retries: int, timeout: float,
) -> None:
    """Find Sentinel-1 GRD IW scenes with VV over an area and a time range.

    Prints one line per scene (id, start time, relative and absolute orbit, direction,
    footprint bounds). Provider credentials come from eodag's own configuration.
    """
    from cerulean_tiling.acquire.search import search_scenes, write_scenes

    _quiet_eodag()
    if end.time() == time(0):
        end = end + timedelta(days=1) - timedelta(seconds=1)
    policy = RetryPolicy(attempts=retries + 1, timeout=timeout)
    try:
        records = search_scenes(bbox, start, end, provider, max_results, policy)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"{'scene_id':<68} {'start (UTC)':<20} {'rel':>4} {'abs':>6} {'dir':<4} bounds")
    for r in records:
        bounds = _bounds(r.footprint)
        click.echo(
            f"{r.scene_id:<68} {r.start:%Y-%m-%dT%H:%M:%S} {_num(r.relative_orbit):>4} "
            f"{_num(r.absolute_orbit):>6} {(r.orbit_direction or '-')[:4]:<4} {bounds}"
        )
    if output is not None:
        write_scenes(records, output)
    click.echo(
        f"{len(records)} scene(s)" + (f", written to {output}" if output else ""), err=True
    )


@click.command()
@click.argument("scenes", nargs=-1, required=True, metavar="SCENE_ID|SCENES.geojson...")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Directory receiving one folder per scene.")
@click.option("--provider", default=None,
              help="eodag provider; default: the one in the scene list, else eodag's choice.")
@click.option("--asset", default=None, metavar="REGEX",
              help="Only fetch the assets whose name matches (e.g. 'vv'), for STAC providers.")
@progress_option
@network_options
def download(
    scenes: tuple[str, ...], output: Path, provider: str | None, asset: str | None,
    progress: bool | None, retries: int, timeout: float,
) -> None:
    """Download scenes by id, or every scene of a list written by `search -o`.

    Each scene becomes OUTPUT/<scene_id>/, created only once complete. An interrupted
    run resumes: finished scenes are skipped and partial files continue where they
    stopped (hidden .part folders under OUTPUT).
    """
    from tqdm import tqdm

    from cerulean_tiling.acquire.download import download_scenes
    from cerulean_tiling.acquire.scene_list import read_scene_list

    _quiet_eodag()
    wanted: list[str | tuple[str, str | None]] = []
    for item in scenes:
        if Path(item).is_file():
            wanted.extend((s.scene_id, s.provider) for s in read_scene_list(Path(item)))
        else:
            wanted.append(item)
    with tqdm(total=None, unit="B", unit_scale=True, disable=tqdm_disable(progress)) as bar:
        results = download_scenes(
            wanted, output, provider, asset, RetryPolicy(attempts=retries + 1, timeout=timeout),
            progress=bar.update,
        )
    for result in results:
        click.echo(f"{result.status:<10} {result.scene_id} {result.path}")


def _quiet_eodag() -> None:
    """Without -v, keep eodag's own warnings (it logs each failure it then raises) off."""
    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        logging.getLogger("eodag").setLevel(logging.ERROR)


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def _bounds(geometry: dict[str, Any]) -> str:
    points: list[list[float]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list) and node and isinstance(node[0], int | float):
            points.append(node)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(geometry.get("coordinates"))
    if not points:
        return "-"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return f"{min(xs):.3f} {min(ys):.3f} {max(xs):.3f} {max(ys):.3f}"


__all__ = ["download", "search"]
