"""The records a COCO document holds: images (tiles), annotations (instances), categories.

Besides the standard COCO fields, image records carry where the tile lies (scene id,
grid, tile index, bounds, channels) and annotation records carry the layer an instance
came from, so datasets can be traced back to their scenes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from cerulean_coco.errors import RecordFormatError
from cerulean_coco.types import RLE, Bbox, Bounds
from cerulean_tiling import BACKGROUND, CLASSES
from cerulean_tiling.paths import safe_relative

SUPERCATEGORY = "slick"


@dataclass(frozen=True)
class Category:
    """A COCO category: its id is the class id of the class table (or of a remap)."""

    id: int
    name: str
    supercategory: str = SUPERCATEGORY

    def to_json(self) -> dict[str, Any]:
        """COCO JSON form."""
        return {"id": self.id, "name": self.name, "supercategory": self.supercategory}

    @classmethod
    def from_json(cls, data: Any) -> Category:
        """Parse a COCO category (raises KeyError/TypeError/RecordFormatError when malformed)."""
        return cls(_int(data, "id"), _str(data, "name"), str(data.get("supercategory", "")))


def class_table_categories() -> list[Category]:
    """The categories of a freshly built dataset: every class but background."""
    return [Category(c.id, c.name) for c in CLASSES if c.id != BACKGROUND.id]


@dataclass(frozen=True)
class ImageRecord:
    """A tile as a COCO image.

    Attributes:
        id: image id, numbered in (scene_id, name) order when a dataset is written.
        file_name: ``tiles/<name>.tif``, relative to the dataset folder.
        width, height: tile size in pixels.
        scene_id: the Sentinel-1 product the tile was cut from.
        class_folder: the annotation campaign folder of that scene.
        grid: ``tms`` or ``pixel``.
        tile_index: ``(z, x, y)`` (tms) or ``(row, col)`` (pixel).
        bounds: west, south, east, north in degrees.
        channels: band names in band order.
        valid_fraction: share of the tile inside the scene footprint.
    """

    id: int
    file_name: str
    width: int
    height: int
    scene_id: str
    class_folder: str
    grid: str
    tile_index: tuple[int, ...]
    bounds: Bounds
    channels: tuple[str, ...]
    valid_fraction: float = 1.0

    @property
    def name(self) -> str:
        """The tile's unique file stem."""
        return PurePosixPath(self.file_name).stem

    @property
    def sort_key(self) -> tuple[str, str]:
        """Canonical order of images in a dataset."""
        return (self.scene_id, self.name)

    def to_json(self) -> dict[str, Any]:
        """COCO JSON form (standard fields first)."""
        return {
            "id": self.id,
            "file_name": self.file_name,
            "width": self.width,
            "height": self.height,
            "scene_id": self.scene_id,
            "class_folder": self.class_folder,
            "grid": self.grid,
            "tile_index": list(self.tile_index),
            "bounds": [float(v) for v in self.bounds],
            "channels": list(self.channels),
            "valid_fraction": float(self.valid_fraction),
        }

    @classmethod
    def from_json(cls, data: Any) -> ImageRecord:
        """Parse an image record (raises KeyError/TypeError/RecordFormatError when malformed)."""
        bounds = tuple(float(v) for v in data["bounds"])
        if len(bounds) != 4:
            raise RecordFormatError(f"bounds {data['bounds']!r} is not [w, s, e, n]")
        return cls(
            id=_int(data, "id"),
            file_name=str(safe_relative(data["file_name"], "file_name")),
            width=_int(data, "width"),
            height=_int(data, "height"),
            scene_id=_str(data, "scene_id"),
            class_folder=str(data.get("class_folder", "")),
            grid=_str(data, "grid"),
            tile_index=tuple(int(v) for v in data["tile_index"]),
            bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
            channels=tuple(str(c) for c in data["channels"]),
            valid_fraction=float(data.get("valid_fraction", 1.0)),
        )


@dataclass(frozen=True)
class AnnotationRecord:
    """An instance clipped to a tile, as a COCO annotation with an RLE segmentation.

    Attributes:
        id: annotation id, numbered in image order then layer order.
        image_id: the tile it lies in.
        category_id: class id.
        segmentation: compressed RLE at the tile's size.
        area: mask pixel count.
        bbox: tight ``[x, y, w, h]`` box.
        layer: the annotation layer file it came from.
        instance_index: the layer's index within its scene (links pieces across tiles).
    """

    id: int
    image_id: int
    category_id: int
    segmentation: RLE
    area: int
    bbox: Bbox
    layer: str = ""
    instance_index: int = 0
    iscrowd: int = 0

    def to_json(self) -> dict[str, Any]:
        """COCO JSON form."""
        return {
            "id": self.id,
            "image_id": self.image_id,
            "category_id": self.category_id,
            "segmentation": {"size": list(self.segmentation["size"]),
                             "counts": self.segmentation["counts"]},
            "area": self.area,
            "bbox": [float(v) for v in self.bbox],
            "iscrowd": self.iscrowd,
            "layer": self.layer,
            "instance_index": self.instance_index,
        }

    @classmethod
    def from_json(cls, data: Any) -> AnnotationRecord:
        """Parse an annotation (raises KeyError/TypeError/RecordFormatError when malformed)."""
        seg = data["segmentation"]
        if not isinstance(seg, dict) or not isinstance(seg.get("counts"), str):
            raise RecordFormatError("segmentation is not a compressed RLE with string counts")
        box = tuple(float(v) for v in data["bbox"])
        if len(box) != 4:
            raise RecordFormatError(f"bbox {data['bbox']!r} is not [x, y, w, h]")
        return cls(
            id=_int(data, "id"),
            image_id=_int(data, "image_id"),
            category_id=_int(data, "category_id"),
            segmentation={"size": [int(v) for v in seg["size"]], "counts": seg["counts"]},
            area=int(data["area"]),
            bbox=(box[0], box[1], box[2], box[3]),
            layer=str(data.get("layer", "")),
            instance_index=int(data.get("instance_index", 0)),
            iscrowd=int(data.get("iscrowd", 0)),
        )


def _int(data: Any, key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key} {value!r} is not an integer")
    return value


def _str(data: Any, key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} {value!r} is not a string")
    return value


__all__ = [
    "SUPERCATEGORY",
    "AnnotationRecord",
    "Category",
    "ImageRecord",
    "class_table_categories",
]
