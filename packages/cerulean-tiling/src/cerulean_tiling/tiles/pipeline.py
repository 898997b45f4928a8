"""Tiling one scene: decode, georeference, warp, cut tiles, attach instance masks.

Memory stays bounded by one decoded layer at a time: the background is warped once onto
the lattice window holding the scene's tiles (the mosaic); each layer is decoded, cropped
to its bounding box, warped onto only the lattice window covering that box, and the
full-size decode is dropped before the next layer is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cerulean_tiling.arrays import BoolArray, UInt8Array
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.geo.georef import Georeference
from cerulean_tiling.geo.grid import TileGrid, TileSpec, Window
from cerulean_tiling.geo.warp import warp_image, warp_mask
from cerulean_tiling.scenes.folder import SceneFolder, open_scene
from cerulean_tiling.scenes.layers import DecodedLayer, decode_layer
from cerulean_tiling.scenes.png import read_gray
from cerulean_tiling.tiles.aux_channels import aux_channel
from cerulean_tiling.tiles.writer import class_raster, write_tile
from cerulean_tiling.types import LayerReport, SceneTiling, TileInstance, TileRecord

logger = logging.getLogger(__name__)

_MASK_PAD = 2


@dataclass(frozen=True)
class WarpedLayer:
    """A layer's instance on the lattice: its class, window and mask there."""

    layer: DecodedLayer
    window: Window
    mask: BoolArray


@dataclass
class PreparedScene:
    """A scene decoded and warped onto its lattice window, ready to be cut into tiles."""

    folder: SceneFolder
    config: TilingConfig
    georef: Georeference
    grid: TileGrid
    channels: list[UInt8Array]
    layers: list[WarpedLayer]
    reports: list[LayerReport]
    warnings: list[str]


def georeference(folder: SceneFolder, size: tuple[int, int]) -> Georeference:
    """The scene's georeference for a background of ``size`` = (width, height)."""
    return Georeference.from_gcps(folder.gcps.scaled_to(*size))


def prepare_scene(folder: SceneFolder, config: TilingConfig) -> PreparedScene:
    """Decode and warp a scene: background and aux channels on the mosaic, layers on theirs."""
    background = read_gray(folder.background)
    height, width = background.shape
    georef = georeference(folder, (width, height))
    grid = TileGrid(config, georef.bounds)
    vv = warp_image(background, georef, grid.lattice, grid.mosaic)
    del background
    channels = [vv] + [
        aux_channel(spec, grid.lattice, grid.mosaic, folder.scene_id) for spec in config.aux
    ]
    layers: list[WarpedLayer] = []
    reports: list[LayerReport] = []
    warnings: list[str] = []
    for index, path in enumerate(folder.layers):
        decoded, report = decode_layer(
            path, index, (width, height), config.alpha_threshold, config.colour_tolerance
        )
        reports.append(report)
        warnings.extend(f"{path.name}: {w}" for w in report.warnings)
        if decoded is None:
            continue
        warped = _warp_layer(decoded, georef, grid)
        if warped is None:
            warnings.append(f"{path.name}: instance vanishes at the output resolution")
            continue
        layers.append(warped)
    return PreparedScene(folder, config, georef, grid, channels, layers, reports, warnings)


def tile_scene(
    scene: SceneFolder | Path, config: TilingConfig, out_dir: Path | None = None,
    instance_masks: bool = False,
) -> SceneTiling:
    """Tile one scene: every tile with data, its instances, and (optionally) its files.

    Args:
        scene: a scene folder (path or :class:`SceneFolder`).
        config: tiling settings.
        out_dir: where to write ``<name>.tif`` (and ``<name>_classes.tif`` when
            ``config.class_rasters``); nothing is written when None.
        instance_masks: also write ``<name>_masks.tif`` (one 0/1 band per instance)
            for tiles holding instances.

    Returns:
        The scene's tiles in row-major grid order; tiles entirely outside the scene
        footprint are skipped.

    Raises:
        CeruleanTilingError: any bad input, with a one-line message naming the file.
    """
    folder = scene if isinstance(scene, SceneFolder) else open_scene(scene, config.gcps_from)
    prepared = prepare_scene(folder, config)
    tiles = [
        record
        for spec in prepared.grid.tiles()
        if (record := _cut_tile(prepared, spec, out_dir, instance_masks)) is not None
    ]
    return SceneTiling(
        scene_id=folder.scene_id.value,
        class_folder=folder.class_folder,
        tiles=tiles,
        layers=prepared.reports,
        footprint_bounds=prepared.georef.bounds,
        warnings=prepared.warnings,
    )


def _warp_layer(layer: DecodedLayer, georef: Georeference, grid: TileGrid) -> WarpedLayer | None:
    row0, col0 = layer.offset
    height, width = layer.mask.shape
    bounds = georef.region_bounds(row0, col0, row0 + height, col0 + width)
    window = grid.lattice.window_for(bounds, pad=_MASK_PAD).intersection(grid.mosaic)
    if window is None:
        return None
    mask = warp_mask(layer.mask, layer.offset, georef, grid.lattice, window)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    trimmed = Window(window.row + int(rows[0]), window.col + int(cols[0]),
                     int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1))
    return WarpedLayer(layer, trimmed, mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def _cut_tile(
    prepared: PreparedScene, spec: TileSpec, out_dir: Path | None, instance_masks: bool
) -> TileRecord | None:
    grid, config = prepared.grid, prepared.config
    rows, cols = spec.window.slices_in(grid.mosaic)
    vv = prepared.channels[0][rows, cols]
    valid = int(np.count_nonzero(vv))
    if valid == 0:
        return None
    instances = []
    for warped in prepared.layers:
        overlap = warped.window.intersection(spec.window)
        if overlap is None:
            continue
        piece = warped.mask[overlap.slices_in(warped.window)]
        if not piece.any():
            continue
        mask = np.zeros((spec.window.height, spec.window.width), dtype=np.bool_)
        mask[overlap.slices_in(spec.window)] = piece
        instances.append(TileInstance(warped.layer.class_id, warped.layer.file,
                                      warped.layer.index, mask))
    scene_id = prepared.folder.scene_id.value
    name = spec.name(scene_id)
    path = class_path = None
    if out_dir is not None:
        transform = grid.lattice.transform(spec.window)
        tags = {"scene_id": scene_id, "grid": spec.grid,
                "tile_index": ",".join(str(i) for i in spec.index)}
        data = np.stack([channel[rows, cols] for channel in prepared.channels])
        path = out_dir / f"{name}.tif"
        write_tile(path, data, transform, config.channels, tags, valid=vv != 0)
        if config.class_rasters:
            class_path = out_dir / f"{name}_classes.tif"
            classes = class_raster(vv.shape, [(i.class_id, i.mask) for i in instances])
            write_tile(class_path, classes[None], transform, ("class_id",), tags)
        if instance_masks and instances:
            masks = np.stack([i.mask for i in instances]).astype(np.uint8)
            names = tuple(f"{i.class_id}:{i.layer}" for i in instances)
            write_tile(out_dir / f"{name}_masks.tif", masks, transform, names, tags)
    return TileRecord(
        scene_id=scene_id,
        grid=spec.grid,
        index=spec.index,
        name=name,
        bounds=grid.lattice.bounds(spec.window),
        width=spec.window.width,
        height=spec.window.height,
        channels=config.channels,
        path=path,
        instances=tuple(instances),
        valid_fraction=valid / vv.size,
        class_path=class_path,
    )
