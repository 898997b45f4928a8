"""Collecting tile predictions into a scene's slicks, ours or the service's way.

A :class:`SceneMerger` receives each batch's predictions as they come and keeps only
what the chosen scheme needs: the blended probability raster (UNet, ours), the current
tileset's pasted raster (UNet, serving; polygonised as soon as the tileset is done),
the instances that pass the score thresholds (Mask R-CNN, ours), or each tile's
polygons (Mask R-CNN, serving). :meth:`SceneMerger.finish` runs the remaining steps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from cerulean_infer import postprocess as post
from cerulean_infer.mosaic import BlendedRaster, PastedRaster
from cerulean_infer.records import InstancePrediction, PlacedInstance, Slick
from cerulean_infer.tilesets import PlacedTile, TilePlan, grid_extent
from cerulean_tiling import Window

if TYPE_CHECKING:
    from cerulean_infer.bundle import BundleManifest
    from cerulean_infer.predictor import TilePredictions
    from cerulean_infer.presets import PostprocessPreset


class SceneMerger:
    """Tile predictions in, slicks (and the blended raster) out."""

    def __init__(self, manifest: BundleManifest, preset: PostprocessPreset, plan: TilePlan,
                 merge: str) -> None:
        self.manifest = manifest
        self.preset = preset
        self.plan = plan
        self.merge = merge
        self.classes = manifest.classes
        self._blended: BlendedRaster | None = None
        self._pasted: PastedRaster | None = None
        self._pasted_tiles: list[PlacedTile] = []
        self._tileset: int | None = None
        self._per_tileset: dict[int, list[Slick]] = {}
        self._instances: list[PlacedInstance] = []
        if manifest.arch == "unet" and merge == "ours":
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

    def finish(self) -> tuple[list[Slick], np.ndarray | None]:
        """The scene's slicks, and the blended probability raster (UNet, ours)."""
        lattice = self.plan.lattice
        if self._blended is not None:
            probabilities = self._blended.finish()
            transform = lattice.transform(self.plan.scene_window)
            return post.unet_slicks(probabilities, transform, self.classes, self.preset), \
                probabilities
        if self.manifest.arch == "unet":
            self._close_tileset()
            return post.merge_tilesets_serving(self._tilesets(), self.preset), None
        if self.merge == "ours":
            origin = lattice.transform(Window(0, 0, 1, 1))
            return post.merge_instances(self._instances, origin, self.classes,
                                        self.preset), None
        stitched = [post.serving_tileset_slicks(slicks, self.preset)
                    for slicks in self._tilesets()]
        return post.merge_tilesets_serving(stitched, self.preset), None

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


__all__ = ["SceneMerger"]
