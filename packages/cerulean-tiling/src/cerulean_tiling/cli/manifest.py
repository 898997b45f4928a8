"""``cerulean-tiling annotation-manifest``: the scene list of the annotation page."""

from __future__ import annotations

from pathlib import Path

import click

from cerulean_tiling.annotation.manifest import (
    DEFAULT_CLASS_FOLDER,
    Overlay,
    build_manifest,
    normalise_base_url,
    overlay_from_spec,
    write_manifest,
)


def _overlays(
    ctx: click.Context, param: click.Parameter, specs: tuple[str, ...]
) -> list[Overlay]:
    try:
        return [overlay_from_spec(s) for s in specs]
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _base_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return normalise_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@click.command("annotation-manifest")
@click.argument(
    "scenes", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="manifest.json to write (replaced atomically).",
)
@click.option(
    "--base-url", required=True, callback=_base_url, metavar="URL",
    help="URL where the scene root (the folder holding the class folders) is served; "
    "absolute, or relative to the manifest.",
)
@click.option(
    "--overlay", "overlays", multiple=True, callback=_overlays, metavar="NAME=URL_TEMPLATE",
    help="Reference layer for every scene, e.g. "
    "'infrastructure=overlays/{scene_id}_infra.png'; {scene_id} and {class_folder} are "
    "filled in, relative URLs are taken under --base-url. Repeatable.",
)
@click.option(
    "--class-folder", default=DEFAULT_CLASS_FOLDER, show_default=True,
    help="Class folder of scenes taken from a search result (exports go there).",
)
def annotation_manifest(
    scenes: tuple[Path, ...],
    output: Path,
    base_url: str,
    overlays: list[Overlay],
    class_folder: str,
) -> None:
    """Write the manifest.json the annotation page lists scenes from.

    SCENES are scene folders, roots of class folders, text files listing scene
    folders, or search results (GeoJSON written by `cerulean-tiling search`).
    The page loads, with URL the --base-url:

    \b
    scene folder <root>/<class_folder>/<scene_id>/  from URL<class_folder>/<scene_id>/
    searched scene's background                    from URL<scene_id>/Background.png
    """
    manifest = build_manifest(scenes, base_url, overlays, class_folder)
    write_manifest(manifest, output)
    click.echo(f"{output}: {len(manifest.scenes)} scenes")
