"""Whole-scene inference: scene → tiles → model → merged predictions → slicks.

1. The scene is opened at the model's resolution (:mod:`cerulean_infer.sources`) and
   rendered once onto the lattice window holding it, with any auxiliary channels the
   model takes computed over the same window. With ``georef="serving"`` nothing is
   rendered up front: each tile is rendered by the service's tiler at the service's
   bounds for it (:mod:`cerulean_infer.tiler`), aux channels on the tile's window.
2. The tiles of every tileset that meet the footprint (:mod:`cerulean_infer.tilesets`)
   are cut from that window in batches by a reader thread, so the next batch is ready
   while the model runs on this one (tiles the service's tiler renders are rendered
   between model calls instead: its warp would compete with the model for the cores).
3. Predictions are merged by :func:`cerulean_infer.merging.merge_scene`, the path
   cerulean-eval measures models through:

   - ``merge="ours"`` (default): UNet probabilities blended across tiles and tilesets
     into one scene raster (:class:`cerulean_infer.mosaic.BlendedRaster`), then
     polygonised once; Mask R-CNN instances placed on the lattice and merged across
     tiles and tilesets by mask overlap, then fragments joined.
   - ``merge="serving"``: the service's steps: per tileset, UNet tiles pasted into one
     array and polygonised, or Mask R-CNN instances filtered and polygonised per tile
     and stitched per tileset; then the three tilesets merged by polygon overlap (with
     one tileset there is nothing to merge, and that step is skipped).
4. With a land mask or a sea-ice source, slicks are marked with the class the service
   stores for them (:mod:`cerulean_infer.reclassify`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cerulean_infer.errors import ChannelMismatchError, SceneError
from cerulean_infer.merging import MERGE_MODES, merge_scene
from cerulean_infer.reclassify import SeaIce, read_sea_ice, reclassify_slicks
from cerulean_infer.records import Slick, TilePredictions
from cerulean_infer.sources import SceneSource, open_source
from cerulean_infer.tilesets import (
    PlacedTile,
    TilePlan,
    grid_extent,
    model_lattice,
    plan_tiles,
    read_land,
    tileset_offsets,
)

if TYPE_CHECKING:
    from affine import Affine
    from shapely.geometry.base import BaseGeometry

    from cerulean_infer.predictor import Predictor
    from cerulean_infer.presets import PostprocessPreset
    from cerulean_tiling import ChannelSpec, Lattice, Window

log = logging.getLogger(__name__)

MergeMode = Literal["ours", "serving"]
QUEUE_BATCHES = 2


@dataclass
class SceneResult:
    """What one scene's inference produced.

    Attributes:
        scene_id: the scene's id.
        slicks: the merged slick polygons (lon/lat).
        probabilities: UNet (``merge="ours"``): the blended scene raster, float32
            [K, H, W] on the lattice window ``window``; None otherwise.
        transform: the affine transform (pixel → lon/lat) of that window.
        window: the scene's lattice window.
        lattice: the model's lattice.
        image: the scene's VV rendered on ``window`` (uint8), for overlays.
        tiles: tiles predicted; ``skipped``: tiles outside the footprint or on land;
            ``empty``: tiles read but holding no data.
        timings: seconds per stage: ``read`` (opening, rendering the channels),
            ``model`` (model calls only), ``postprocess`` (merging and polygons after the
            last tile), ``total``.
        settings: the options the scene ran with.
    """

    scene_id: str
    slicks: list[Slick]
    probabilities: np.ndarray | None
    transform: Affine
    window: Window
    lattice: Lattice
    image: np.ndarray
    tiles: int
    skipped: int
    empty: int
    timings: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Batch:
    tiles: list[PlacedTile]
    pixels: np.ndarray


def predict_scene(
    predictor: Predictor, scene: Path | str, *, aux: Sequence[ChannelSpec | str] = (),
    tilesets: int = 3, merge: str = "ours", georef: str = "spline",
    land: Path | str | None = None, batch_size: int | None = None, progress: bool = False,
    thresholds: dict[str, float] | None = None, sea_ice: Path | str | None = None,
) -> SceneResult:
    """Predict the slicks of one scene.

    Args:
        predictor: the model.
        scene: a GRD GeoTIFF with GCPs, a scene folder, or a georeferenced raster.
        aux: sources of the model's auxiliary channels (``NAME=PATH``), by channel name.
        tilesets: how many offset tilesets (3 as the service; 1 = the base grid only).
        merge: ``ours`` (blended rasters, mask-overlap merging) or ``serving``.
        georef: ``spline`` (GCP thin-plate spline) or ``serving`` (the service's tiler).
        land: a GeoJSON of land polygons; tiles wholly on land are skipped and slicks
            within 1 km of land are marked ``LAND``, as the service stores them.
        batch_size: tiles per model call (None: the predictor's, 8 on CUDA, 1 on CPU).
        progress: show a progress bar.
        thresholds: overrides of the predictor's post-processing preset.
        sea_ice: a sea-ice mask for the scene's date (raster or GeoJSON polygons, the
            path may hold ``{date}``); slicks on it are marked ``SEA_ICE``.

    Raises:
        SceneError: the scene, the land mask, the sea-ice mask or an option is unusable.
        ChannelMismatchError: the model needs an aux channel that was not given.
    """
    started = time.perf_counter()
    if merge not in MERGE_MODES:
        raise SceneError(f"merge {merge!r} is not one of {', '.join(MERGE_MODES)}")
    if batch_size is None:
        batch_size = predictor.batch_size
    if batch_size < 1:
        raise SceneError(f"batch size {batch_size} must be at least 1")
    chosen = predictor.preset.override(**(thresholds or {}))
    manifest = predictor.manifest
    specs = _channel_specs(manifest.channels, aux)
    lattice = model_lattice(manifest.zoom, manifest.tile_size)
    land_geometry = read_land(Path(land)) if land is not None else None
    source = open_source(scene, lattice.res, georef)
    try:
        ice = read_sea_ice(sea_ice, source.parsed_id) if sea_ice is not None else None
        plan, image, canvas = _layout(source, lattice, manifest.tile_size, specs, tilesets,
                                      merge, land_geometry)
        return _predict(predictor, source, plan, image, canvas, started, batch_size, progress,
                        chosen, land_geometry, ice, {
                            "scene": str(scene), "scene_id": source.scene_id,
                            "merge": merge, "georef": georef, "tilesets": tilesets,
                            "offsets": list(plan.offsets), "batch_size": batch_size,
                            "land": str(land) if land is not None else None,
                            "sea_ice": str(ice.path) if ice is not None else None,
                            "aux": [str(s) for s in specs if s is not None],
                            "decimation": source.decimation,
                            "predictor": {**predictor.describe(), "preset": vars(chosen)}})
    finally:
        source.close()


def scene_batches(predictor: Predictor, scene: Path | str, *,
                  aux: Sequence[ChannelSpec | str] = (), tilesets: int = 3,
                  georef: str = "spline", batch_size: int | None = None
                  ) -> Iterator[np.ndarray]:
    """The tile batches :func:`predict_scene` (``merge="ours"``, no land mask) hands the
    model for ``scene``, empty tiles left out, without running it.

    What a benchmark times the model alone on, to set the whole scene's time against.
    Arguments as for :func:`predict_scene`; each batch is uint8 ``[B, C, H, W]``.

    Raises:
        SceneError: the scene or an option is unusable.
        ChannelMismatchError: the model needs an aux channel that was not given.
    """
    manifest = predictor.manifest
    specs = _channel_specs(manifest.channels, aux)
    lattice = model_lattice(manifest.zoom, manifest.tile_size)
    source = open_source(scene, lattice.res, georef)
    try:
        plan, _, canvas = _layout(source, lattice, manifest.tile_size, specs, tilesets,
                                  "ours", None)
        for batch in _batches(plan, canvas, batch_size or predictor.batch_size):
            keep = _with_data(batch)
            if keep:
                yield batch.pixels[keep]
    finally:
        source.close()


def _layout(source: SceneSource, lattice: Lattice, tile_size: int,
            specs: list[ChannelSpec | None], tilesets: int, merge: str,
            land: BaseGeometry | None
            ) -> tuple[TilePlan, np.ndarray, _Canvas | _TilerCanvas]:
    """The scene's tiles, its VV image for overlays and the canvas tiles are cut from."""
    plan = plan_tiles(lattice, tile_size, source.footprint,
                      tileset_offsets(tilesets, serving=merge == "serving"),
                      land, bounds=source.bounds, exact=source.tiler is not None)
    image, canvas = (_tiler_canvas if source.tiler is not None else _render)(
        source, plan, specs)
    return plan, image, canvas


def _with_data(batch: _Batch) -> list[int]:
    """The indexes of the batch's tiles that hold data (VV not all 0)."""
    return [i for i in range(len(batch.tiles)) if batch.pixels[i, 0].any()]


def _predict(predictor: Predictor, source: SceneSource, plan: TilePlan, image: np.ndarray,
             canvas: _Canvas | _TilerCanvas, started: float, batch_size: int, progress: bool,
             chosen: PostprocessPreset, land: BaseGeometry | None, ice: SeaIce | None,
             settings: dict[str, Any]) -> SceneResult:
    """Run the planned tiles through the model and merge them (see the module docstring)."""
    manifest = predictor.manifest
    lattice = plan.lattice
    merge = settings["merge"]
    timings = {"read": time.perf_counter() - started}
    model_s = 0.0
    empty = 0
    last_tile = 0.0
    bar = _progress(len(plan.tiles), progress, source.scene_id)

    def predicted() -> Iterator[tuple[list[PlacedTile], TilePredictions]]:
        nonlocal model_s, empty, last_tile
        batches = _batches(plan, canvas, batch_size)
        if source.tiler is None:
            # Cutting tiles from the rendered canvas is cheap and overlaps the model well.
            # The tiler's GCP warp is CPU work of its own: on a thread beside the model
            # it slowed the model's calls more than it saved (measured on 2 cores).
            batches = _prefetch(batches)
        for batch in batches:
            keep = _with_data(batch)
            empty += len(batch.tiles) - len(keep)
            if keep:
                t0 = time.perf_counter()
                preds = predictor.predict_tiles(batch.pixels[keep])
                model_s += time.perf_counter() - t0
                yield [batch.tiles[i] for i in keep], preds
            if bar is not None:
                bar.update(len(batch.tiles))
        last_tile = time.perf_counter()

    try:
        merged = merge_scene(plan, predicted(), arch=manifest.arch, classes=manifest.classes,
                             preset=chosen, merge=merge)
    finally:
        if bar is not None:
            bar.close()
    timings["model"] = model_s
    settings["ensemble"] = merged.ensemble
    slicks, probabilities = merged.slicks, merged.probabilities
    if land is not None or ice is not None:
        slicks = reclassify_slicks(slicks, land=land, sea_ice=ice)
    timings["postprocess"] = time.perf_counter() - last_tile
    timings["total"] = time.perf_counter() - started
    return SceneResult(
        scene_id=source.scene_id, slicks=slicks, probabilities=probabilities,
        transform=lattice.transform(plan.scene_window), window=plan.scene_window,
        lattice=lattice, image=image, tiles=len(plan.tiles) - empty, skipped=plan.skipped,
        empty=empty, timings=timings, settings=settings,
    )


def _channel_specs(channels: Sequence[str],
                   aux: Sequence[ChannelSpec | str]) -> list[ChannelSpec | None]:
    """One entry per model channel: None for VV, else the spec that computes it."""
    from cerulean_tiling import CeruleanTilingError, ChannelSpec
    from cerulean_tiling.channels import CONSTANT, VV, parse_channel

    try:
        given = {s.name: s for s in (ChannelSpec.parse(a) if isinstance(a, str) else a
                                     for a in aux)}
        parsed = [parse_channel(c) for c in channels]
    except CeruleanTilingError as exc:
        raise SceneError(str(exc)) from None
    out: list[ChannelSpec | None] = []
    for channel, text in zip(parsed, channels, strict=True):
        name = channel.name
        if name == VV:
            out.append(None)
        elif name == CONSTANT:
            # The model's own text (``constant=0``) becomes the spec, as --aux would.
            out.append(given.get(CONSTANT) or ChannelSpec.parse(text))
        elif name in given:
            out.append(given[name])
        else:
            raise ChannelMismatchError(
                f"the model takes channel {name!r}: give its source with --aux {name}=PATH")
    return out


@dataclass(frozen=True)
class _Canvas:
    """Every model channel rendered over the window holding all tiles (uint8 [C, H, W])."""

    window: Window
    planes: np.ndarray

    def cut(self, tile: PlacedTile) -> np.ndarray:
        rows, cols = tile.window.slices_in(self.window)
        return self.planes[:, rows, cols]


def _render(source: SceneSource, plan: TilePlan, specs: list[ChannelSpec | None]
            ) -> tuple[np.ndarray, _Canvas | _TilerCanvas]:
    """The scene's VV on its own window, and every channel over all tiles' window."""
    from cerulean_tiling import CeruleanTilingError, aux_channel, parse_scene_id

    window = grid_extent(list(plan.tiles)) if plan.tiles else plan.scene_window
    vv = source.render(plan.lattice, window)
    planes = np.empty((len(specs), window.height, window.width), dtype=np.uint8)
    for index, spec in enumerate(specs):
        if spec is None:
            planes[index] = vv
            continue
        if spec.source and "{" in spec.source and source.parsed_id is None:
            raise SceneError(f"{source.path}: aux path {spec.source} needs a Sentinel-1 "
                             "scene id, and the scene's name is not one")
        # Only placeholders in the source path read the id; any valid id serves otherwise.
        scene_id = source.parsed_id or parse_scene_id(_ANONYMOUS_SCENE_ID)
        try:
            planes[index] = aux_channel(spec, plan.lattice, window, scene_id)
        except CeruleanTilingError as exc:
            raise SceneError(str(exc)) from None
    image = np.zeros((plan.scene_window.height, plan.scene_window.width), dtype=np.uint8)
    crop = plan.scene_window.intersection(window)
    if crop is not None:
        image[crop.slices_in(plan.scene_window)] = vv[crop.slices_in(window)]
    return image, _Canvas(window, planes)


_ANONYMOUS_SCENE_ID = "S1A_IW_GRDH_1SDV_20200101T000000_20200101T000001_000000_000000_0000"


class _TilerCanvas:
    """Tiles rendered one by one by the service's tiler, at the service's bounds.

    ``image`` (the scene's VV on its window, for overlays) fills with tileset 0's tiles
    as they are rendered; it is complete once every tile has been cut.
    """

    def __init__(self, source: SceneSource, plan: TilePlan,
                 specs: list[ChannelSpec | None]) -> None:
        self.source = source
        self.plan = plan
        self.specs = specs
        self.image = np.zeros((plan.scene_window.height, plan.scene_window.width),
                              dtype=np.uint8)

    def cut(self, tile: PlacedTile) -> np.ndarray:
        from cerulean_tiling import CeruleanTilingError, aux_channel, parse_scene_id

        assert self.source.tiler is not None
        size = self.plan.tile_size
        vv = self.source.tiler.render(self.plan.service_bounds(tile), size, size)
        planes = np.empty((len(self.specs), size, size), dtype=np.uint8)
        scene_id = self.source.parsed_id or parse_scene_id(_ANONYMOUS_SCENE_ID)
        for index, spec in enumerate(self.specs):
            if spec is None:
                planes[index] = vv
                continue
            try:
                planes[index] = aux_channel(spec, self.plan.lattice, tile.window, scene_id)
            except CeruleanTilingError as exc:
                raise SceneError(str(exc)) from None
        if tile.tileset == 0:
            part = tile.window.intersection(self.plan.scene_window)
            if part is not None:
                self.image[part.slices_in(self.plan.scene_window)] = \
                    vv[part.slices_in(tile.window)]
        return planes


def _tiler_canvas(source: SceneSource, plan: TilePlan, specs: list[ChannelSpec | None]
                  ) -> tuple[np.ndarray, _Canvas | _TilerCanvas]:
    for spec in specs:
        if spec is not None and spec.source and "{" in spec.source \
                and source.parsed_id is None:
            raise SceneError(f"{source.path}: aux path {spec.source} needs a Sentinel-1 "
                             "scene id, and the scene's name is not one")
    canvas = _TilerCanvas(source, plan, specs)
    return canvas.image, canvas


def _batches(plan: TilePlan, canvas: _Canvas | _TilerCanvas,
             batch_size: int) -> Iterator[_Batch]:
    """The plan's tiles in order, ``batch_size`` at a time, each batch one tileset's."""
    current: list[PlacedTile] = []
    for tile in plan.tiles:
        if current and (len(current) == batch_size or current[-1].tileset != tile.tileset):
            yield _Batch(current, np.stack([canvas.cut(t) for t in current]))
            current = []
        current.append(tile)
    if current:
        yield _Batch(current, np.stack([canvas.cut(t) for t in current]))


_DONE = object()


def _prefetch(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """Iterate ``batches`` with the next ones prepared by a reader thread.

    Cutting and stacking tiles (and numba kernels, which release the GIL) overlap
    the model call on the previous batch. A failure in the thread is raised here.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name="cerulean-infer-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _progress(total: int, enabled: bool, scene_id: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="tile", desc=scene_id[:32], leave=False)
