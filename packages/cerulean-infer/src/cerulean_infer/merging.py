"""Collecting tile predictions into a scene's slicks, ours or the service's way.

This is the one path from model outputs to slicks: ``cerulean-infer predict`` feeds it the
tiles of a scene's tilesets, and cerulean-eval feeds it a dataset's tiles of one scene
(:func:`tiles_plan`), so a model is measured on exactly the slicks it would be served with.
:func:`merge_scene` takes the scene's tiles placed on the model lattice with their
:class:`~cerulean_infer.records.TilePredictions`, batch by batch, and returns the slicks.

A :class:`SceneMerger` receives each batch's predictions as they come and keeps only
what the chosen scheme needs: the blended probability raster (UNet, ours), the current
tileset's pasted raster (UNet, serving; polygonised as soon as the tileset is done),
the instances that pass the score thresholds (Mask R-CNN, ours), or each tile's
polygons (Mask R-CNN, serving). :meth:`SceneMerger.finish` runs the remaining steps.

**One tileset, no ensemble.** The service's tileset ensemble
(:func:`~cerulean_infer.postprocess.merge_tilesets_serving`) keeps a slick only when
another slick intersects it, which is a vote between its three shifted tilesets: given a
single tileset it would drop nearly every slick. With one tileset the merge is therefore
skipped and the tileset's slicks are the scene's (logged, and recorded in
:attr:`MergedScene.ensemble`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from cerulean_infer import postprocess as post
from cerulean_infer.errors import SceneError
from cerulean_infer.mosaic import BlendedRaster, PastedRaster
from cerulean_infer.records import InstancePrediction, PlacedInstance, Slick, TilePredictions
from cerulean_infer.tilesets import PlacedTile, TilePlan, grid_extent
from cerulean_tiling import Window

if TYPE_CHECKING:
    from cerulean_infer.presets import PostprocessPreset
    from cerulean_tiling import Lattice

log = logging.getLogger(__name__)

MERGE_MODES = ("ours", "serving")


@dataclass(frozen=True)
class MergedScene:
    """A scene's slicks and how they were merged.

    Attributes:
        slicks: the slicks in lon/lat, in the order the merge leaves them.
        probabilities: UNet with ``merge="ours"``: the blended scene raster, float32
            [K, H, W] on the plan's scene window; None otherwise.
        ensemble: whether the service's tileset ensemble ran (``merge="serving"`` with
            two or more tilesets); False for ``merge="ours"`` and for a single tileset.
    """

    slicks: list[Slick]
    probabilities: np.ndarray | None
    ensemble: bool


def tiles_plan(lattice: Lattice, tile_size: int, windows: Sequence[Window]) -> TilePlan:
    """One unshifted tileset made of given lattice windows (a dataset's tiles of a scene).

    The tiles keep their order; each is placed by its window, its row and column counted
    in tiles from the windows' north-west corner.

    Raises:
        SceneError: no windows, or a window that is not ``tile_size`` square on the
            tile grid.
    """
    if not windows:
        raise SceneError("no tiles to stitch")
    for window in windows:
        if (window.height, window.width) != (tile_size, tile_size) \
                or window.row % tile_size or window.col % tile_size:
            raise SceneError(f"window {window} is not a {tile_size}-pixel tile of the grid")
    extent = Window(min(w.row for w in windows), min(w.col for w in windows), 1, 1)
    tiles = tuple(PlacedTile(0, (w.row - extent.row) // tile_size,
                             (w.col - extent.col) // tile_size, w) for w in windows)
    return TilePlan(lattice, tile_size, (0.0,), tiles, grid_extent(list(tiles)), 0)


def merge_scene(plan: TilePlan,
                batches: Iterable[tuple[Sequence[PlacedTile], TilePredictions]], *,
                arch: str, classes: Sequence[str], preset: PostprocessPreset,
                merge: str = "ours") -> MergedScene:
    """A scene's slicks from its tiles' predictions, the way it is served.

    Args:
        plan: the scene's tiles on the model lattice (:func:`tiles_plan` for given tiles).
        batches: ``(tiles, predictions)`` pairs, each batch's tiles from one tileset, in
            plan order; consumed one at a time, so a generator may run the model lazily.
        arch: ``unet`` or ``maskrcnn``.
        classes: class name of each model output (``classes[0]`` background).
        preset: the post-processing thresholds.
        merge: ``ours`` or ``serving`` (see the module docstring of
            :mod:`cerulean_infer.scene`).

    Raises:
        SceneError: an unknown merge mode.
    """
    if merge not in MERGE_MODES:
        raise SceneError(f"merge {merge!r} is not one of {', '.join(MERGE_MODES)}")
    merger = SceneMerger(arch, classes, preset, plan, merge)
    for tiles, predictions in batches:
        merger.add(list(tiles), predictions)
    return merger.finish()


class SceneMerger:
    """Tile predictions in, slicks (and the blended raster) out."""

    def __init__(self, arch: str, classes: Sequence[str], preset: PostprocessPreset,
                 plan: TilePlan, merge: str) -> None:
        self.arch = arch
        self.preset = preset
        self.plan = plan
        self.merge = merge
        self.classes = tuple(classes)
        self._blended: BlendedRaster | None = None
        self._pasted: PastedRaster | None = None
        self._pasted_tiles: list[PlacedTile] = []
        self._tileset: int | None = None
        self._per_tileset: dict[int, list[Slick]] = {}
        self._instances: list[PlacedInstance] = []
        if arch == "unet" and merge == "ours":
            self._blended = BlendedRaster(len(self.classes), plan.scene_window,
                                          plan.tile_size)

    def add(self, tiles: list[PlacedTile], preds: TilePredictions) -> None:
        """Take one batch's predictions (all tiles of one tileset)."""
        if preds.probabilities is not None:
            for tile, probs in zip(tiles, preds.probabilities, strict=True):
                self._add_probabilities(tile, probs)
        elif preds.instances is not None:
            for tile, found in zip(tiles, preds.instances, strict=True):
                self._add_instances(tile, found)

    def finish(self) -> MergedScene:
        """The scene's slicks, and the blended probability raster (UNet, ours)."""
        lattice = self.plan.lattice
        if self._blended is not None:
            probabilities = self._blended.finish()
            transform = lattice.transform(self.plan.scene_window)
            return MergedScene(post.unet_slicks(probabilities, transform, self.classes,
                                                self.preset), probabilities, False)
        if self.merge == "ours":
            origin = lattice.transform(Window(0, 0, 1, 1))
            return MergedScene(post.merge_instances(self._instances, origin, self.classes,
                                                    self.preset), None, False)
        if self.arch == "unet":
            self._close_tileset()
            tilesets = self._tilesets()
        else:
            tilesets = [post.serving_tileset_slicks(slicks, self.preset)
                        for slicks in self._tilesets()]
        if len(tilesets) == 1:
            log.info("one tileset: the service's tileset ensemble is skipped (it keeps only "
                     "slicks another tileset confirms)")
            return MergedScene(tilesets[0], None, False)
        return MergedScene(post.merge_tilesets_serving(tilesets, self.preset), None, True)

    def _tilesets(self) -> list[list[Slick]]:
        """Each tileset's slicks, tileset 0 first (an empty list for a tileset with none)."""
        return [[replace(s, tileset=k) for s in self._per_tileset.get(k, [])]
                for k in range(len(self.plan.offsets))]

    def _add_probabilities(self, tile: PlacedTile, probs: np.ndarray) -> None:
        if self._blended is not None:
            self._blended.add(probs, tile.window)
            return
        if tile.tileset != self._tileset:
            self._close_tileset()
            self._tileset = tile.tileset
            self._pasted = PastedRaster(len(self.classes),
                                        grid_extent(self.plan.tileset(tile.tileset)))
        assert self._pasted is not None
        self._pasted.add(probs, tile.window)
        self._pasted_tiles.append(tile)

    def _close_tileset(self) -> None:
        """Polygonise the finished tileset's pasted raster over its predicted tiles."""
        if self._pasted is None or self._tileset is None:
            return
        extent = grid_extent(self._pasted_tiles)
        rows, cols = extent.slices_in(self._pasted.window)
        raster = self._pasted.values[:, rows, cols]
        transform = self.plan.transform(extent, self._tileset)
        slicks = post.unet_slicks(raster, transform, self.classes, self.preset)
        self._per_tileset[self._tileset] = slicks
        self._pasted = None
        self._pasted_tiles = []

    def _add_instances(self, tile: PlacedTile, found: list[InstancePrediction]) -> None:
        if self.merge == "ours":
            kept = post.tile_instances(found, self.preset)
            self._instances.extend(PlacedInstance(i, tile.window.row, tile.window.col,
                                                  tile.tileset) for i in kept)
            return
        transform = self.plan.transform(tile.window, tile.tileset)
        self._per_tileset.setdefault(tile.tileset, []).extend(
            post.serving_tile_slicks(found, transform, self.classes, self.preset))


__all__ = ["MERGE_MODES", "MergedScene", "SceneMerger", "merge_scene", "tiles_plan"]
