"""A dataset's tiles grouped by scene and placed on the model's lattice.

The serving service stitches the tiles of one scene before it post-processes them, so an
evaluation does the same: a dataset's tiles are grouped by ``scene_id`` and each tile is
placed on the model's lattice (WorldCRS84Quad at the model's zoom, ``tile_size`` pixels a
tile) by its ``tile_index``: tile ``(z, x, y)`` is the lattice window at rows ``y·size``,
columns ``x·size``. Its recorded bounds must be that window's (within a hundredth of a
pixel), or the tile was not cut on this grid.

A dataset cut on another grid (``pixel`` windows, another zoom or tile size) cannot be
stitched the way the service stitches: it is refused before any work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cerulean_coco import CocoDataset, Sample
from cerulean_eval.errors import GridMismatchError
from cerulean_tiling import Lattice, Window


@dataclass(frozen=True)
class SceneTiles:
    """One scene's dataset tiles, in dataset order.

    Attributes:
        scene_id: the scene.
        samples: its tiles (image record, tile path, annotations).
        windows: each tile's lattice window, or None when the tiles are not placed (a
            GeoJSON prediction needs only their bounds).
    """

    scene_id: str
    samples: tuple[Sample, ...]
    windows: tuple[Window, ...] | None = None


def dataset_scenes(dataset: CocoDataset, lattice: Lattice | None = None,
                   tile_size: int | None = None) -> list[SceneTiles]:
    """The dataset's tiles grouped by scene (scenes in id order), placed on ``lattice``.

    Raises:
        GridMismatchError: with a lattice, a tile that is not one of its tiles.
    """
    grouped: dict[str, list[Sample]] = {}
    for sample in dataset.iter_samples():
        grouped.setdefault(sample.image.scene_id, []).append(sample)
    out = []
    for scene_id in sorted(grouped):
        samples = tuple(grouped[scene_id])
        windows = None
        if lattice is not None and tile_size is not None:
            windows = tuple(tile_window(dataset, s, lattice, tile_size) for s in samples)
        out.append(SceneTiles(scene_id, samples, windows))
    return out


def check_grid(dataset: CocoDataset, zoom: int, tile_size: int, lattice: Lattice) -> None:
    """Refuse a dataset whose tiles are not ``tms`` tiles of ``zoom`` at ``tile_size`` px.

    Raises:
        GridMismatchError: the first tile cut on another grid (named), in one line.
    """
    for image in dataset.images:
        index = tuple(image.tile_index)
        if image.grid != "tms" or len(index) != 3 or index[0] != zoom \
                or (image.height, image.width) != (tile_size, tile_size):
            raise GridMismatchError(
                f"{dataset.root}: dataset from another grid: tile {image.name} is "
                f"{image.grid} {list(index)} at {image.width}×{image.height} px; the model "
                f"runs on tms tiles of zoom {zoom} at {tile_size}×{tile_size} px")
    for sample in dataset.iter_samples():
        tile_window(dataset, sample, lattice, tile_size)


def tile_window(dataset: CocoDataset, sample: Sample, lattice: Lattice,
                tile_size: int) -> Window:
    """The lattice window of a ``tms`` tile, checked against its recorded bounds.

    Raises:
        GridMismatchError: the tile's bounds are not its index's window's.
    """
    _, x, y = (int(v) for v in sample.image.tile_index)
    window = Window(y * tile_size, x * tile_size, tile_size, tile_size)
    expected = lattice.bounds(window)
    if any(abs(a - b) > lattice.res / 100 for a, b in zip(sample.image.bounds, expected,
                                                          strict=True)):
        raise GridMismatchError(
            f"{dataset.root}: dataset from another grid: tile {sample.image.name} has "
            f"bounds {list(sample.image.bounds)}, its index's tile on the model's grid is "
            f"{[round(v, 9) for v in expected]}")
    return window


def scene_ids(scenes: Sequence[SceneTiles]) -> list[str]:
    """The scenes' ids, in order."""
    return [s.scene_id for s in scenes]


__all__ = ["SceneTiles", "check_grid", "dataset_scenes", "scene_ids", "tile_window"]
