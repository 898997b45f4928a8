"""The COCO document (annotations.json): loading, canonical ordering, writing.

A document is written in one canonical form so that the same content always gives the
same bytes: images sorted by (scene id, tile name) and numbered from 1, annotations
grouped by image in that order, within an image by (instance index, category), and
numbered from 1; categories sorted by id; compact JSON with a fixed key order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cerulean_coco.errors import DatasetReadError, RecordFormatError
from cerulean_coco.format.layout import ANNOTATIONS_NAME
from cerulean_coco.format.records import AnnotationRecord, Category, ImageRecord
from cerulean_coco.version import __version__
from cerulean_tiling.atomic import json_text, write_bytes

DESCRIPTION = "Cerulean ML oil-slick instances on Sentinel-1 tiles"


@dataclass
class CocoDocument:
    """An instance-segmentation dataset's annotations in memory."""

    images: list[ImageRecord]
    annotations: list[AnnotationRecord]
    categories: list[Category]
    info: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> CocoDocument:
        """Return a copy in canonical order with ids renumbered from 1.

        Image ids are reassigned in (scene id, tile name) order and every annotation
        follows its image; annotation ids follow image order, then instance index.
        """
        images = sorted(self.images, key=lambda im: (*im.sort_key, im.id))
        new_image_id = {im.id: number for number, im in enumerate(images, start=1)}
        if len(new_image_id) != len(images):
            raise RecordFormatError("image ids are not unique")
        annotations = sorted(
            (a for a in self.annotations if a.image_id in new_image_id),
            key=lambda a: (new_image_id[a.image_id], a.instance_index, a.category_id, a.id),
        )
        return CocoDocument(
            images=[replace(im, id=new_image_id[im.id]) for im in images],
            annotations=[
                replace(a, id=number, image_id=new_image_id[a.image_id])
                for number, a in enumerate(annotations, start=1)
            ],
            categories=sorted(self.categories, key=lambda c: c.id),
            info=dict(self.info),
        )

    def annotations_by_image(self) -> dict[int, list[AnnotationRecord]]:
        """Annotations grouped by image id (images without any are absent)."""
        grouped: dict[int, list[AnnotationRecord]] = defaultdict(list)
        for ann in self.annotations:
            grouped[ann.image_id].append(ann)
        return dict(grouped)

    def category_names(self) -> dict[int, str]:
        """Category id -> name."""
        return {c.id: c.name for c in self.categories}

    def to_json(self) -> dict[str, Any]:
        """COCO JSON form."""
        return {
            "info": self.info or default_info(),
            "licenses": [],
            "images": [im.to_json() for im in self.images],
            "annotations": [a.to_json() for a in self.annotations],
            "categories": [c.to_json() for c in self.categories],
        }

    def dumps(self) -> bytes:
        """Compact UTF-8 JSON bytes (one line plus a newline)."""
        text = json_text(self.to_json(), where=ANNOTATIONS_NAME)
        return (text + "\n").encode("utf-8")

    def save(self, path: Path) -> None:
        """Write atomically to ``path``."""
        write_bytes(path, self.dumps())

    @classmethod
    def from_json(cls, data: Any, source: str = ANNOTATIONS_NAME) -> CocoDocument:
        """Parse COCO JSON data; ``source`` names the file in error messages.

        Raises:
            DatasetReadError: a section is missing or a record is malformed.
        """
        if not isinstance(data, dict):
            raise DatasetReadError(f"{source}: not a COCO document (top level is not an object)")
        sections: dict[str, list[Any]] = {}
        for key in ("images", "annotations", "categories"):
            if not isinstance(data.get(key), list):
                raise DatasetReadError(f"{source}: missing or non-list {key!r} section")
            sections[key] = data[key]
        parsers: dict[str, Any] = {
            "images": ImageRecord.from_json,
            "annotations": AnnotationRecord.from_json,
            "categories": Category.from_json,
        }
        parsed: dict[str, list[Any]] = {}
        for key, items in sections.items():
            parsed[key] = []
            for position, item in enumerate(items):
                try:
                    parsed[key].append(parsers[key](item))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise DatasetReadError(
                        f"{source}: {key}[{position}] is malformed ({_describe(exc)})"
                    ) from None
        info = data.get("info")
        return cls(parsed["images"], parsed["annotations"], parsed["categories"],
                   info if isinstance(info, dict) else {})

    @classmethod
    def load(cls, path: Path) -> CocoDocument:
        """Read an annotations.json file.

        Raises:
            DatasetReadError: the file is missing, not JSON, or not a COCO document.
        """
        return cls.from_json(read_json(path), str(path))


def default_info() -> dict[str, Any]:
    """The ``info`` block of documents this package writes."""
    return {"description": DESCRIPTION, "tool": f"cerulean-coco {__version__}"}


def read_json(path: Path) -> Any:
    """Read a JSON file, turning every failure into a one-line :class:`DatasetReadError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetReadError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetReadError(f"{path}: cannot read ({_describe(exc)})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetReadError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


__all__ = ["CocoDocument", "default_info", "read_json"]
