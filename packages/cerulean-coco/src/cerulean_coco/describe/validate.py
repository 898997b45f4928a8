"""``validate``: every problem of a dataset folder, listed rather than stopping at the first.

Checked: the JSON schema of annotations.json, unique ids, that every annotation points
at an existing image and category, that category ids follow the class table, that every
RLE decodes at its image's size with the recorded area, that every tile file exists
with the recorded size and band count, and the manifest's records of scenes, tiles and
negatives (no scene recorded as failed; sizes, and hashes with ``checksums``). A build
with failed scenes is not a dataset, whatever else its folder holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasterio

from cerulean_coco.errors import DatasetReadError
from cerulean_coco.format import rle
from cerulean_coco.format.document import read_json
from cerulean_coco.format.hashing import sha256_file
from cerulean_coco.format.layout import ANNOTATIONS_NAME, MANIFEST_NAME
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.types import RLE
from cerulean_tiling import BACKGROUND, CLASSES
from cerulean_tiling.errors import UnsafePathError
from cerulean_tiling.paths import path_inside

_TABLE = {c.name: c.id for c in CLASSES}
_IMAGE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": int, "file_name": str, "width": int, "height": int, "scene_id": str, "grid": str,
    "tile_index": list, "bounds": list, "channels": list,
}
_ANNOTATION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": int, "image_id": int, "category_id": int, "segmentation": dict,
    "area": (int, float), "bbox": list, "iscrowd": int,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: where, and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def validate_dataset(folder: Path, *, checksums: bool = False) -> list[Problem]:
    """List every problem of the dataset in ``folder`` (empty when it is valid)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [Problem(str(folder), "no such dataset folder")]
    annotations_path = folder / ANNOTATIONS_NAME
    checker = _Checker(folder, str(annotations_path))
    checker.failed_scenes()
    try:
        data = read_json(annotations_path)
    except DatasetReadError as exc:
        checker.add(str(annotations_path), str(exc).removeprefix(f"{annotations_path}: "))
        return checker.problems
    checker.document(data)
    checker.manifest(checksums)
    return checker.problems


class _Checker:
    def __init__(self, folder: Path, source: str) -> None:
        self.folder = folder
        self.source = source
        self.problems: list[Problem] = []
        self.images: dict[int, dict[str, Any]] = {}
        self.image_files: set[str] = set()
        self.categories: set[int] = set()
        self.manifest_data: Manifest | None = None
        try:
            if (folder / MANIFEST_NAME).exists():
                self.manifest_data = Manifest.load(folder)
            else:
                self.add(str(folder / MANIFEST_NAME), "missing")
        except DatasetReadError as exc:
            self.add(str(folder / MANIFEST_NAME), str(exc).split(": ", 1)[-1])

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def document(self, data: Any) -> None:
        if not isinstance(data, dict):
            self.add(self.source, "top level is not a JSON object")
            return
        sections = {}
        for key in ("images", "annotations", "categories"):
            if not isinstance(data.get(key), list):
                self.add(self.source, f"missing or non-list {key!r} section")
            else:
                sections[key] = data[key]
        for position, item in enumerate(sections.get("categories", [])):
            self.category(f"{self.source} categories[{position}]", item)
        for position, item in enumerate(sections.get("images", [])):
            self.image(f"{self.source} images[{position}]", item)
        seen: set[int] = set()
        for position, item in enumerate(sections.get("annotations", [])):
            self.annotation(f"{self.source} annotations[{position}]", item, seen)

    def category(self, where: str, item: Any) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int) \
                or not isinstance(item.get("name"), str):
            self.add(where, "category needs an integer id and a string name")
            return
        cid, name = item["id"], item["name"]
        if cid in self.categories:
            self.add(where, f"duplicate category id {cid}")
        self.categories.add(cid)
        if cid == BACKGROUND.id or name == BACKGROUND.name:
            self.add(where, "background is implicit and must not be a category")
        elif name in _TABLE and _TABLE[name] != cid:
            self.add(where, f"category {name!r} has id {cid}, the class table says {_TABLE[name]}")

    def image(self, where: str, item: Any) -> None:
        if not self._fields(where, item, _IMAGE_FIELDS):
            return
        where = f"{where} (id {item['id']})"
        if item["id"] in self.images:
            self.add(where, f"duplicate image id {item['id']}")
            return
        self.images[item["id"]] = item
        self.image_files.add(item["file_name"])
        if item["width"] <= 0 or item["height"] <= 0:
            self.add(where, f"size {item['width']}x{item['height']} is not positive")
        if item["grid"] not in ("tms", "pixel"):
            self.add(where, f"grid {item['grid']!r} is neither tms nor pixel")
        bounds = item["bounds"]
        if len(bounds) != 4 or not all(isinstance(v, (int, float)) for v in bounds) \
                or not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
            self.add(where, f"bounds {bounds!r} are not [west, south, east, north]")
        self.tile(where, item)

    def tile(self, where: str, item: dict[str, Any]) -> None:
        path = self.inside(where, item["file_name"])
        if path is None:
            return
        if not path.is_file():
            self.add(where, f"tile file {path} is missing")
            return
        try:
            with rasterio.open(path) as src:
                width, height, count = src.width, src.height, src.count
        # RasterioIOError (a file GDAL cannot open) is a RasterioError only from rasterio 1.4.
        except (rasterio.errors.RasterioError, rasterio.errors.RasterioIOError) as exc:
            self.add(where, f"tile file {path} is unreadable ({exc})")
            return
        if (width, height) != (item["width"], item["height"]):
            self.add(where, f"tile file {path} is {width}x{height}, the record says "
                            f"{item['width']}x{item['height']}")
        if count != len(item["channels"]):
            self.add(where, f"tile file {path} has {count} band(s), the record lists "
                            f"{len(item['channels'])} channel(s)")

    def annotation(self, where: str, item: Any, seen: set[int]) -> None:
        if not self._fields(where, item, _ANNOTATION_FIELDS):
            return
        where = f"{where} (id {item['id']})"
        if item["id"] in seen:
            self.add(where, f"duplicate annotation id {item['id']}")
        seen.add(item["id"])
        if item["category_id"] not in self.categories:
            self.add(where, f"category_id {item['category_id']} is not a category")
        if item["iscrowd"] != 0:
            self.add(where, f"iscrowd is {item['iscrowd']}, expected 0")
        if len(item["bbox"]) != 4:
            self.add(where, f"bbox {item['bbox']!r} is not [x, y, w, h]")
        image = self.images.get(item["image_id"])
        if image is None:
            self.add(where, f"image_id {item['image_id']} is not an image")
        segmentation: RLE = item["segmentation"]
        problem = rle.check_counts(segmentation)
        if problem:
            self.add(where, problem)
            return
        if image is not None and segmentation["size"] != [image["height"], image["width"]]:
            self.add(where, f"RLE size {segmentation['size']} differs from its image's "
                            f"{image['height']}x{image['width']}")
        if rle.area(segmentation) != item["area"]:
            self.add(where, f"area {item['area']} differs from the mask's "
                            f"{rle.area(segmentation)} pixels")

    def failed_scenes(self) -> None:
        """A scene the build recorded as failed: the dataset lacks it."""
        if self.manifest_data is None:
            return
        where = str(self.folder / MANIFEST_NAME)
        for scene_id, entry in sorted(self.manifest_data.scenes.items()):
            if entry.status != "built":
                self.add(where, f"scene {scene_id} ({entry.path}) {entry.status}: "
                                f"{entry.error}; rerun the build")

    def manifest(self, checksums: bool) -> None:
        manifest = self.manifest_data
        if manifest is None:
            return
        where = str(self.folder / MANIFEST_NAME)
        for file_name, record in sorted(manifest.tiles.items()):
            path = self.inside(where, file_name)
            if path is None:
                continue
            if not path.is_file():
                if file_name not in self.image_files:  # else reported with its image
                    self.add(where, f"tile file {path} is missing")
            elif path.stat().st_size != record.bytes:
                self.add(where, f"tile file {path} is {path.stat().st_size} bytes, "
                                f"recorded {record.bytes}")
            elif checksums and sha256_file(path) != record.sha256:
                self.add(where, f"tile file {path} does not match its recorded sha256")
        for image in manifest.negatives:
            path = self.inside(where, image.file_name)
            if path is not None and not path.is_file():
                self.add(where, f"negative tile file {path} is missing")

    def inside(self, where: str, file_name: str) -> Path | None:
        """The file's path, or None (and a problem) when the name leads outside the folder."""
        try:
            return path_inside(self.folder, file_name, "file_name")
        except UnsafePathError as exc:
            self.add(where, str(exc))
            return None

    def _fields(self, where: str, item: Any,
                fields: dict[str, type | tuple[type, ...]]) -> bool:
        if not isinstance(item, dict):
            self.add(where, "not a JSON object")
            return False
        ok = True
        for key, kind in fields.items():
            value = item.get(key)
            if value is None:
                self.add(where, f"missing {key!r}")
                ok = False
            elif not isinstance(value, kind) or isinstance(value, bool):
                self.add(where, f"{key} {value!r} has the wrong type")
                ok = False
        return ok


__all__ = ["Problem", "validate_dataset"]
