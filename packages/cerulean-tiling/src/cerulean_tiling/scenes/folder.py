"""Scene folders: finding them, and what one holds (background, layers, GCPs).

Layout (see docs/formats.md)::

    <root>/<class_folder>/<scene_id>/Background.png   VV intensity, radar geometry
    <root>/<class_folder>/<scene_id>/<name>.png       one Photopea layer per instance
    <root>/<class_folder>/<scene_id>/gcps.json        optional; else a GRD GeoTIFF

GCPs come, in order of preference, from an explicit ``gcps_from`` location (a path,
URL or ``s3://`` template with ``{scene_id}``), ``gcps.json`` in the folder, or a GRD
GeoTIFF (``*.tif``/``*.tiff``) in the folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cerulean_tiling.acquire.remote import is_remote, read_remote_gcps
from cerulean_tiling.errors import SceneIdError, SceneReadError
from cerulean_tiling.geo.gcps import GCPSet, read_gcps_from_raster, read_gcps_json
from cerulean_tiling.paths import utf8_path
from cerulean_tiling.scenes.sceneid import SceneId, parse_scene_id

BACKGROUND_NAME = "background.png"
GCPS_NAME = "gcps.json"
_MAX_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class SceneFolder:
    """An annotated scene folder, located but not yet decoded.

    Attributes:
        path: the folder.
        scene_id: parsed from the folder name.
        background: path of Background.png (matched case-insensitively).
        layers: the instance layer PNGs, sorted by name (the order is the instance order).
        gcps_from: explicit GCP location, overriding what the folder holds.
    """

    path: Path
    scene_id: SceneId
    background: Path
    layers: tuple[Path, ...]
    gcps_from: str | None = None

    @property
    def class_folder(self) -> str:
        """Name of the folder holding the scene (the annotation campaign's class folder)."""
        return self.path.parent.name

    @cached_property
    def gcps(self) -> GCPSet:
        """The scene's GCPs, in the coordinates of the raster they came from."""
        if self.gcps_from:
            location = self.gcps_from.format(scene_id=self.scene_id.value)
            if is_remote(location):
                # s3:// needs credentials and requester-pays; remote.py sets up GDAL for it.
                return read_remote_gcps(location)
            return read_gcps_from_raster(location)
        sidecar = self.path / GCPS_NAME
        if sidecar.is_file():
            return read_gcps_json(sidecar)
        rasters = sorted(
            p for p in self.path.iterdir() if p.suffix.lower() in (".tif", ".tiff")
        )
        if rasters:
            return read_gcps_from_raster(utf8_path(rasters[0], "GRD raster"))
        raise SceneReadError(
            f"{self.path}: no GCPs: expected {GCPS_NAME}, a GRD GeoTIFF, or --gcps-from"
        )


def open_scene(path: Path, gcps_from: str | None = None) -> SceneFolder:
    """Locate the files of the scene folder ``path``.

    Raises:
        SceneReadError: the folder or its Background.png is missing.
        SceneIdError: the folder name is not a Sentinel-1 product id.
        FileNameError: the folder's path or a PNG's name is not valid UTF-8 (layer names
            travel into records, COCO annotations and GDAL; such a name is refused here,
            named, rather than failing later without one).
    """
    path = utf8_path(Path(path), "scene folder")
    if not path.is_dir():
        raise SceneReadError(f"{path}: scene folder does not exist")
    pngs = sorted(utf8_path(p, "layer file") for p in path.iterdir()
                  if p.suffix.lower() == ".png" and p.is_file())
    background = [p for p in pngs if p.name.lower() == BACKGROUND_NAME]
    if not background:
        raise SceneReadError(f"{path}: missing Background.png")
    scene_id = parse_scene_id(path.name)
    layers = tuple(p for p in pngs if p != background[0])
    return SceneFolder(path, scene_id, background[0], layers, gcps_from)


def discover_scenes(inputs: Iterable[Path]) -> list[Path]:
    """Expand inputs into scene folders, sorted and without duplicates.

    Each input may be a scene folder (holds Background.png), a root of class folders
    or any folder above scene folders (searched a few levels deep), or a text file
    listing scene folders one per line (relative to the file; ``#`` starts a comment).
    A folder named like a Sentinel-1 product but without Background.png is an error,
    not silently skipped.

    Raises:
        SceneReadError: an input does not exist or holds no scene folder.
        FileNameError: a scene folder's path is not valid UTF-8.
    """
    found: dict[Path, None] = {}
    for item in inputs:
        item = Path(item)
        if item.is_file():
            scenes = _read_list(item)
        elif item.is_dir():
            scenes = _search(item, _MAX_SEARCH_DEPTH)
        else:
            raise SceneReadError(f"{item}: no such scene folder or list file")
        if not scenes:
            raise SceneReadError(f"{item}: holds no scene folder (none contains Background.png)")
        found.update(dict.fromkeys(utf8_path(p.resolve(), "scene folder") for p in scenes))
    return sorted(found)


def is_scene_folder(path: Path) -> bool:
    """True when ``path`` is a folder holding a Background.png."""
    return path.is_dir() and any(
        p.name.lower() == BACKGROUND_NAME for p in path.iterdir() if p.is_file()
    )


def _search(root: Path, depth: int) -> list[Path]:
    if is_scene_folder(root):
        return [root]
    if _looks_like_scene_id(root.name):
        raise SceneReadError(f"{root}: missing Background.png")
    if depth == 0:
        return []
    out: list[Path] = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        out.extend(_search(child, depth - 1))
    return out


def _looks_like_scene_id(name: str) -> bool:
    try:
        parse_scene_id(name)
    except SceneIdError:
        return False
    return True


def _read_list(listing: Path) -> list[Path]:
    try:
        lines = listing.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SceneReadError(f"{listing}: cannot read scene list ({exc})") from None
    scenes = []
    for number, raw in enumerate(lines, start=1):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        path = Path(entry) if Path(entry).is_absolute() else listing.parent / entry
        if not is_scene_folder(path):
            raise SceneReadError(f"{listing}:{number}: {entry} is not a scene folder")
        scenes.append(path)
    return scenes
