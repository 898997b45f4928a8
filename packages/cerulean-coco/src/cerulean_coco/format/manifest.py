"""manifest.json: how a dataset was made and what it holds.

The manifest records the build parameters (the tiling config and the part format),
the package versions, every scene's status with input and output hashes, every tile
file's size and hash, the empty tiles the build kept for negatives, and the history
of filters and merges applied since.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cerulean_tiling
from cerulean_coco.errors import DatasetReadError, RecordFormatError
from cerulean_coco.format.document import read_json
from cerulean_coco.format.layout import MANIFEST_NAME
from cerulean_coco.format.parameters import BuildParameters
from cerulean_coco.format.records import ImageRecord
from cerulean_coco.version import __version__
from cerulean_tiling.atomic import write_json
from cerulean_tiling.paths import safe_relative

MANIFEST_FORMAT = 1

SceneStatus = Literal["built", "failed"]


@dataclass(frozen=True)
class SceneEntry:
    """One scene's outcome in a build."""

    scene_id: str
    status: SceneStatus
    path: str
    class_folder: str = ""
    input_sha256: str = ""
    part_sha256: str = ""
    tiles: int = 0
    instances: int = 0
    empty_tiles: int = 0
    seconds: float = 0.0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SceneEntry:
        """Parse :meth:`to_json` output."""
        return cls(**data)


@dataclass(frozen=True)
class TileFile:
    """Size and content hash of a tile file, as written by the build."""

    bytes: int
    sha256: str


@dataclass
class Manifest:
    """The dataset's manifest.

    Attributes:
        kind: ``build``, ``filter`` or ``merge`` — what wrote the folder.
        parameters: build parameters (None for a dataset no build made); a rebuild
            with others is refused.
        versions: package versions that wrote the dataset.
        scenes: scene id -> outcome.
        tiles: tile file name (``tiles/<name>.tif``) -> size and hash.
        negatives: empty tiles (image records with id 0), in canonical order.
        history: operations applied after the build (filter options, merge sources).
    """

    kind: str
    parameters: BuildParameters | None
    versions: dict[str, str] = field(default_factory=dict)
    scenes: dict[str, SceneEntry] = field(default_factory=dict)
    tiles: dict[str, TileFile] = field(default_factory=dict)
    negatives: list[ImageRecord] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form with scenes and tiles in name order."""
        return {
            "format": MANIFEST_FORMAT,
            "kind": self.kind,
            "parameters": {} if self.parameters is None else self.parameters.to_json(),
            "versions": self.versions,
            "scenes": {k: self.scenes[k].to_json() for k in sorted(self.scenes)},
            "tiles": {k: {"bytes": v.bytes, "sha256": v.sha256}
                      for k, v in sorted(self.tiles.items())},
            "negatives": [im.to_json() for im in self.negatives],
            "history": self.history,
        }

    def save(self, folder: Path) -> None:
        """Write ``folder/manifest.json`` atomically."""
        write_json(Path(folder) / MANIFEST_NAME, self.to_json(), indent=1)

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read ``folder/manifest.json``.

        Raises:
            DatasetReadError: missing, not JSON, or not a manifest.
        """
        path = Path(folder) / MANIFEST_NAME
        data = read_json(path)
        try:
            if data.get("format") != MANIFEST_FORMAT:
                raise RecordFormatError(f"unsupported format {data.get('format')!r}")
            return cls(
                kind=str(data["kind"]),
                parameters=(BuildParameters.from_json(data["parameters"])
                            if data["parameters"] != {} else None),
                versions=dict(data.get("versions", {})),
                scenes={k: SceneEntry.from_json(v) for k, v in data.get("scenes", {}).items()},
                tiles={str(safe_relative(k, "tile file name")):
                       TileFile(int(v["bytes"]), str(v["sha256"]))
                       for k, v in data.get("tiles", {}).items()},
                negatives=[ImageRecord.from_json(v) for v in data.get("negatives", [])],
                history=list(data.get("history", [])),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise DatasetReadError(f"{path}: not a cerulean-coco manifest ({exc})") from None


def package_versions() -> dict[str, str]:
    """Versions of the packages whose behaviour shapes a dataset."""
    versions = {"cerulean-coco": __version__, "cerulean-tiling": cerulean_tiling.__version__}
    for name in ("pycocotools", "numpy", "rasterio", "dask", "distributed"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


__all__ = [
    "Manifest",
    "SceneEntry",
    "SceneStatus",
    "TileFile",
    "package_versions",
]
