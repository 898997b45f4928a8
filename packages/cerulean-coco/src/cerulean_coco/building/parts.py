"""Per-scene part files: the unit a build commits, and what resuming trusts.

A scene is committed when ``parts/<scene_id>.json`` exists: it is written atomically
after the scene's tiles were moved into ``tiles/``, so a part file always describes
tiles that are in place. Everything else a killed build leaves behind (staging folders,
temporary files, tiles no part file names) is rubbish to clear before resuming.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cerulean_coco.errors import RecordFormatError
from cerulean_coco.format.layout import PARTS_DIR
from cerulean_coco.format.manifest import TileFile
from cerulean_coco.format.records import AnnotationRecord, ImageRecord
from cerulean_tiling.atomic import is_temp, json_text, write_bytes

logger = logging.getLogger(__name__)

PART_FORMAT = 2
"""Version of the part files and of the tiles they commit. 2: tiles carry the internal
no-data mask (0 where VV is 0). A dataset built with an older format is refused on
resume ("built with other parameters"), so old and new tiles never mix."""


@dataclass(frozen=True)
class PartTile:
    """One tile of a committed scene: its image record (id 0), file facts, instances."""

    image: ImageRecord
    file: TileFile
    annotations: tuple[AnnotationRecord, ...] = ()


@dataclass
class ScenePart:
    """Everything the build keeps about one scene.

    Attributes:
        scene_id: product id (the part's file stem).
        scene_path: the scene folder it was built from.
        class_folder: the scene's class folder.
        parameters_digest: digest of the build parameters it was built with.
        input_fingerprint: cheap fingerprint of the scene folder (names, sizes, times).
        input_sha256: content hash of the scene folder.
        seconds: build time on the worker.
        tiles: tiles in name order, empty ones included.
        extra_files: other files moved into ``tiles/`` (class rasters).
        warnings: what tiling warned about.
    """

    scene_id: str
    scene_path: str
    class_folder: str
    parameters_digest: str
    input_fingerprint: str
    input_sha256: str
    seconds: float
    tiles: list[PartTile]
    extra_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def instance_count(self) -> int:
        """Number of instance-tiles."""
        return sum(len(t.annotations) for t in self.tiles)

    @property
    def empty_count(self) -> int:
        """Number of tiles without instances."""
        return sum(1 for t in self.tiles if not t.annotations)

    def file_names(self) -> set[str]:
        """File names (in ``tiles/``) that belong to this scene."""
        names = {Path(t.image.file_name).name for t in self.tiles}
        return names | set(self.extra_files)

    def dumps(self) -> bytes:
        """Compact JSON bytes."""
        data = {
            "format": PART_FORMAT,
            "scene_id": self.scene_id,
            "scene_path": self.scene_path,
            "class_folder": self.class_folder,
            "parameters_digest": self.parameters_digest,
            "input_fingerprint": self.input_fingerprint,
            "input_sha256": self.input_sha256,
            "seconds": round(self.seconds, 3),
            "extra_files": self.extra_files,
            "warnings": self.warnings,
            "tiles": [
                {"image": t.image.to_json(),
                 "file": {"bytes": t.file.bytes, "sha256": t.file.sha256},
                 "annotations": [a.to_json() for a in t.annotations]}
                for t in self.tiles
            ],
        }
        return json_text(data, where=f"part of {self.scene_id}").encode("utf-8")

    @classmethod
    def loads(cls, raw: bytes) -> ScenePart:
        """Parse :meth:`dumps` output (raises ValueError/KeyError/TypeError if malformed)."""
        data: dict[str, Any] = json.loads(raw)
        if data.get("format") != PART_FORMAT:
            raise RecordFormatError(f"unsupported part format {data.get('format')!r}")
        return cls(
            scene_id=data["scene_id"],
            scene_path=data["scene_path"],
            class_folder=data["class_folder"],
            parameters_digest=data["parameters_digest"],
            input_fingerprint=data["input_fingerprint"],
            input_sha256=data["input_sha256"],
            seconds=float(data["seconds"]),
            extra_files=list(data["extra_files"]),
            warnings=list(data["warnings"]),
            tiles=[
                PartTile(ImageRecord.from_json(t["image"]),
                         TileFile(int(t["file"]["bytes"]), str(t["file"]["sha256"])),
                         tuple(AnnotationRecord.from_json(a) for a in t["annotations"]))
                for t in data["tiles"]
            ],
        )


def part_path(dataset: Path, scene_id: str) -> Path:
    """Where the part file of ``scene_id`` lives."""
    return Path(dataset) / PARTS_DIR / f"{scene_id}.json"


def commit_part(dataset: Path, part: ScenePart) -> Path:
    """Write a part file atomically; from then on the scene counts as built."""
    path = part_path(dataset, part.scene_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, part.dumps())
    return path


def load_parts(dataset: Path, parameters_digest: str) -> dict[str, ScenePart]:
    """Read every committed part, dropping temporaries and unusable parts.

    A part that does not parse, or was built with other parameters, is deleted (its
    tiles become unreferenced and are cleared by :func:`clear_unreferenced_tiles`).
    """
    folder = Path(dataset) / PARTS_DIR
    parts: dict[str, ScenePart] = {}
    if not folder.is_dir():
        return parts
    for path in sorted(folder.iterdir()):
        if is_temp(path) or path.suffix != ".json":
            path.unlink(missing_ok=True)
            continue
        try:
            part = ScenePart.loads(path.read_bytes())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("%s: unusable part file, the scene will be rebuilt (%s)", path, exc)
            path.unlink(missing_ok=True)
            continue
        if part.parameters_digest != parameters_digest or part.scene_id != path.stem:
            logger.warning("%s: built with other parameters, the scene will be rebuilt", path)
            path.unlink(missing_ok=True)
            continue
        parts[part.scene_id] = part
    return parts


def clear_unreferenced_tiles(tiles_dir: Path, parts: dict[str, ScenePart]) -> int:
    """Delete files in ``tiles/`` that no committed part names; return how many."""
    if not tiles_dir.is_dir():
        return 0
    keep: set[str] = set()
    for part in parts.values():
        keep |= part.file_names()
    removed = 0
    for path in tiles_dir.iterdir():
        if path.name not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


__all__ = [
    "PartTile",
    "ScenePart",
    "clear_unreferenced_tiles",
    "commit_part",
    "load_parts",
    "part_path",
]
