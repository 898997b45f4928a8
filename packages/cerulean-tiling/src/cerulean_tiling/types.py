"""The records that cross module (and package) boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cerulean_tiling.arrays import BoolArray

Bounds = tuple[float, float, float, float]
"""west, south, east, north in EPSG:4326 degrees."""

GridName = Literal["tms", "pixel"]



@dataclass(frozen=True)
class TileInstance:
    """One annotated instance clipped to one tile.

    Attributes:
        class_id: class id from :mod:`cerulean_tiling.classes` (never 0).
        layer: the layer file name the instance came from (e.g. ``"Layer 3.png"``).
        instance_index: index of the layer within its scene (stable across tiles), so
            the pieces of one instance in several tiles can be linked.
        mask: boolean array of shape (tile height, tile width), True inside the instance.
    """

    class_id: int
    layer: str
    instance_index: int
    mask: BoolArray

    @property
    def area(self) -> int:
        """Number of mask pixels."""
        return int(self.mask.sum())


@dataclass(frozen=True)
class TileRecord:
    """A tile of a scene: where it lies, what it holds, and where it was written.

    Attributes:
        scene_id: the Sentinel-1 product id of the scene.
        grid: ``"tms"`` (WorldCRS84Quad) or ``"pixel"`` (windows of the warped scene).
        index: ``(zoom, x, y)`` on the tms grid, ``(row, col)`` window index on the pixel grid.
        name: file stem, unique within a dataset (``<scene_id>_<z>_<x>_<y>``).
        bounds: west, south, east, north in degrees.
        width, height: tile size in pixels.
        channels: band names in band order.
        path: the GeoTIFF written, or None when tiles were not written.
        instances: the annotated instances that intersect the tile.
        valid_fraction: share of pixels inside the scene footprint (0 < f <= 1).
    """

    scene_id: str
    grid: GridName
    index: tuple[int, ...]
    name: str
    bounds: Bounds
    width: int
    height: int
    channels: tuple[str, ...]
    path: Path | None
    instances: tuple[TileInstance, ...] = ()
    valid_fraction: float = 1.0
    class_path: Path | None = None

    def entry(self) -> TileEntry:
        """The tile's metadata without masks: what a run's scene record keeps."""
        return TileEntry(
            scene_id=self.scene_id,
            grid=self.grid,
            index=self.index,
            name=self.name,
            bounds=self.bounds,
            width=self.width,
            height=self.height,
            channels=self.channels,
            path=None if self.path is None else self.path.name,
            class_path=None if self.class_path is None else self.class_path.name,
            valid_fraction=round(self.valid_fraction, 6),
            instances=tuple(
                InstanceEntry(i.class_id, i.layer, i.instance_index, i.area)
                for i in self.instances
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready metadata (no masks); see :class:`TileEntry`."""
        return self.entry().to_json()


@dataclass(frozen=True)
class InstanceEntry:
    """An instance piece of a tile as recorded in JSON: its class, layer and area."""

    class_id: int
    layer: str
    instance_index: int
    area: int

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"class_id": self.class_id, "layer": self.layer,
                "instance_index": self.instance_index, "area": self.area}

    @classmethod
    def from_json(cls, data: Any) -> InstanceEntry:
        """Parse :meth:`to_json` output (KeyError/TypeError/ValueError when malformed)."""
        return cls(int(data["class_id"]), str(data["layer"]), int(data["instance_index"]),
                   int(data["area"]))


@dataclass(frozen=True)
class TileEntry:
    """A written tile as its JSON record describes it: a :class:`TileRecord` less masks.

    ``path`` and ``class_path`` are file names relative to the output folder.
    """

    scene_id: str
    grid: GridName
    index: tuple[int, ...]
    name: str
    bounds: Bounds
    width: int
    height: int
    channels: tuple[str, ...]
    path: str | None
    class_path: str | None
    valid_fraction: float
    instances: tuple[InstanceEntry, ...] = ()

    @property
    def masks_path(self) -> str | None:
        """File name of the tile's instance-mask GeoTIFF, for tiles holding instances."""
        return f"{self.name}_masks.tif" if self.instances else None

    def files(self) -> tuple[str, ...]:
        """The file names this tile may have written (image, class raster, masks)."""
        return tuple(n for n in (self.path, self.class_path, self.masks_path) if n)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scene_id": self.scene_id,
            "grid": self.grid,
            "index": list(self.index),
            "name": self.name,
            "bounds": list(self.bounds),
            "width": self.width,
            "height": self.height,
            "channels": list(self.channels),
            "path": self.path,
            "class_path": self.class_path,
            "valid_fraction": self.valid_fraction,
            "instances": [i.to_json() for i in self.instances],
        }

    @classmethod
    def from_json(cls, data: Any) -> TileEntry:
        """Parse :meth:`to_json` output (KeyError/TypeError/ValueError when malformed)."""
        grid = str(data["grid"])
        if grid not in ("tms", "pixel"):
            raise ValueError(f"unknown grid {grid!r}")
        bounds = tuple(float(v) for v in data["bounds"])
        if len(bounds) != 4:
            raise ValueError(f"bounds {data['bounds']!r} is not [w, s, e, n]")
        return cls(
            scene_id=str(data["scene_id"]),
            grid="tms" if grid == "tms" else "pixel",
            index=tuple(int(v) for v in data["index"]),
            name=str(data["name"]),
            bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
            width=int(data["width"]),
            height=int(data["height"]),
            channels=tuple(str(c) for c in data["channels"]),
            path=_optional_name(data["path"]),
            class_path=_optional_name(data["class_path"]),
            valid_fraction=float(data["valid_fraction"]),
            instances=tuple(InstanceEntry.from_json(i) for i in data["instances"]),
        )


def _optional_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "/" in value or "\\" in value or value in ("", ".", ".."):
        raise ValueError(f"{value!r} is not a file name in the output folder")
    return value


@dataclass(frozen=True)
class LayerReport:
    """What decoding one layer found: its class, pixel count and any warnings."""

    file: str
    class_id: int | None
    pixels: int
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"file": self.file, "class_id": self.class_id, "pixels": self.pixels,
                "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: Any) -> LayerReport:
        """Parse :meth:`to_json` output (KeyError/TypeError/ValueError when malformed)."""
        class_id = data["class_id"]
        return cls(str(data["file"]), None if class_id is None else int(class_id),
                   int(data["pixels"]), tuple(str(w) for w in data["warnings"]))


@dataclass
class SceneTiling:
    """The result of tiling one scene."""

    scene_id: str
    class_folder: str
    tiles: list[TileRecord]
    layers: list[LayerReport]
    footprint_bounds: Bounds
    warnings: list[str] = field(default_factory=list)
