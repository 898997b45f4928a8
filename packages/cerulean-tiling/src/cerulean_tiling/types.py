"""Shared type aliases and the records that cross module (and package) boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Bounds = tuple[float, float, float, float]
"""west, south, east, north in EPSG:4326 degrees."""

GridName = Literal["tms", "pixel"]

BoolArray = npt.NDArray[np.bool_]
UInt8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.floating[Any]]
Float32Array = npt.NDArray[np.float32]


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

    def to_json(self) -> dict[str, Any]:
        """JSON-ready metadata (no masks)."""
        return {
            "scene_id": self.scene_id,
            "grid": self.grid,
            "index": list(self.index),
            "name": self.name,
            "bounds": list(self.bounds),
            "width": self.width,
            "height": self.height,
            "channels": list(self.channels),
            "path": None if self.path is None else self.path.name,
            "class_path": None if self.class_path is None else self.class_path.name,
            "valid_fraction": round(self.valid_fraction, 6),
            "instances": [
                {"class_id": i.class_id, "layer": i.layer, "instance_index": i.instance_index,
                 "area": i.area}
                for i in self.instances
            ],
        }


@dataclass(frozen=True)
class LayerReport:
    """What decoding one layer found: its class, pixel count and any warnings."""

    file: str
    class_id: int | None
    pixels: int
    warnings: tuple[str, ...] = ()


@dataclass
class SceneTiling:
    """The result of tiling one scene."""

    scene_id: str
    class_folder: str
    tiles: list[TileRecord]
    layers: list[LayerReport]
    footprint_bounds: Bounds
    warnings: list[str] = field(default_factory=list)

    @property
    def empty_tiles(self) -> list[TileRecord]:
        """Tiles with data but without any instance (negatives)."""
        return [t for t in self.tiles if not t.instances]
