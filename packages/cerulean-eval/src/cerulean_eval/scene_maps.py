"""Maps of evaluated scenes: the tiles' VV with the true and served slicks drawn on it.

Per scene, the dataset tiles' VV band is mosaicked on the grid the tiles were cut on
(every tile's pixels have the same size in degrees, so a tile's place is its bounds),
reduced by an integer factor to at most :data:`MAP_PIXELS` on its long side (the mean of
each block's pixels with data; 0, drawn black, where none has) and drawn in greys. On it:

- true slicks found (matched) and missed, outlined thick;
- served slicks that matched a true slick, and false slicks, outlined thin on top;
- served slicks the service stores as not oil (``LAND``, ``SEA_ICE``), dotted: they are in
  ``slicks.geojson`` but in no count.

Which slick is which is the scorer's own match (:class:`~cerulean_eval.scoring.SceneScore`
``matches``), never recomputed. Colours are Okabe and Ito's colour-blind-safe palette,
drawn without anti-aliasing so each outline is its exact colour. The map fills a known box
of the image (:func:`map_box`), so pixels can be traced back to lon/lat. The PNG is a
palette image whose greys are rounded to :data:`GREY_STEP`: radar speckle in 256 greys
compresses poorly, and the report inlines every map.

An evaluation draws at most ``EvalConfig.maps`` scenes: those with the most true and
served slicks (ties: the earlier scene), kept as they come (:class:`MapKeeper`).
"""

from __future__ import annotations

import heapq
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from cerulean_eval.records import TileTruth
from cerulean_eval.scoring import SceneScore
from cerulean_tiling import Bounds
from cerulean_tiling.arrays import UInt8Array

MAP_PIXELS = 640
"""Longest side of a scene's image on its map, in pixels."""
DPI = 90
GREY_STEP = 4
"""Greys of a map's PNG are rounded to multiples of this (and white stays white)."""
_TITLE_PX = 30
_LEGEND_PX = 64
_MARGIN_PX = 8
_MIN_WIDTH_PX = 640


@dataclass(frozen=True)
class Style:
    """How one kind of slick is drawn."""

    label: str
    colour: str
    width: float
    dashes: Literal["solid", "dotted"] = "solid"


TRUE_FOUND = Style("true slick, found", "#009E73", 3.0)
TRUE_MISSED = Style("true slick, missed", "#E69F00", 3.0)
SERVED_MATCHED = Style("served slick, matched", "#0072B2", 1.5)
SERVED_FALSE = Style("false slick", "#CC79A7", 1.5)
SERVED_NOT_OIL = Style("served, stored as LAND / SEA_ICE (not counted)", "#F0E442", 1.5,
                       "dotted")
STYLES: tuple[Style, ...] = (TRUE_FOUND, TRUE_MISSED, SERVED_MATCHED, SERVED_FALSE,
                             SERVED_NOT_OIL)


@dataclass(frozen=True, eq=False)
class SceneMap:
    """What a scene's map draws.

    Attributes:
        scene_id: the scene.
        image: its tiles' VV mosaic, reduced (0: no data).
        bounds: the mosaic's lon/lat bounds (west, south, east, north).
        slicks: each slick's outline with its style, in drawing order.
        counts: slicks per style label.
    """

    scene_id: str
    image: UInt8Array
    bounds: Bounds
    slicks: tuple[tuple[MultiPolygon, Style], ...]
    counts: dict[str, int]

    @property
    def interest(self) -> int:
        """True and served slicks on the map: the scenes with most are drawn."""
        return sum(self.counts.values())


def vv_mosaic(tiles: Sequence[TileTruth], max_pixels: int = MAP_PIXELS
              ) -> tuple[UInt8Array, Bounds]:
    """The tiles' VV bands on one raster, reduced to at most ``max_pixels`` a side.

    Returns:
        The mosaic and its lon/lat bounds.
    """
    first = tiles[0].image
    west = min(t.image.bounds[0] for t in tiles)
    south = min(t.image.bounds[1] for t in tiles)
    east = max(t.image.bounds[2] for t in tiles)
    north = max(t.image.bounds[3] for t in tiles)
    dx = (first.bounds[2] - first.bounds[0]) / first.width
    dy = (first.bounds[3] - first.bounds[1]) / first.height
    height, width = round((north - south) / dy), round((east - west) / dx)
    full = np.zeros((height, width), dtype=np.uint8)
    for tile in tiles:
        row = round((north - tile.image.bounds[3]) / dy)
        col = round((tile.image.bounds[0] - west) / dx)
        h, w = tile.vv.shape
        full[row:row + h, col:col + w] = tile.vv[:height - row, :width - col]
    factor = max(1, math.ceil(max(height, width) / max_pixels))
    reduced = _reduce(full, factor)
    # The last block of a row or column may reach past the tiles: the bounds cover it.
    rows, cols = reduced.shape
    return reduced, (west, north - rows * factor * dy, west + cols * factor * dx, north)


def _reduce(image: UInt8Array, factor: int) -> UInt8Array:
    """Block means of ``factor`` × ``factor`` pixels over the pixels with data."""
    if factor == 1:
        return image
    h, w = image.shape
    padded = np.zeros((-(-h // factor) * factor, -(-w // factor) * factor), dtype=np.float64)
    padded[:h, :w] = image
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor,
                            factor)
    total = blocks.sum(axis=(1, 3))
    count = (blocks > 0).sum(axis=(1, 3))
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    # A block with data never rounds down to the nodata value.
    reduced: UInt8Array = np.where(count > 0, np.clip(np.rint(mean), 1, 255), 0).astype(
        np.uint8)
    return reduced


def scene_map(score: SceneScore, tiles: Sequence[TileTruth],
              not_oil: Sequence[MultiPolygon] = (),
              max_pixels: int = MAP_PIXELS) -> SceneMap:
    """A scene's map from how the scorer matched its slicks.

    Args:
        score: the scene as scored (its true and served slicks, their matches).
        tiles: its dataset tiles.
        not_oil: served slicks stored as not oil, drawn but not counted.
        max_pixels: longest side of the map's image.
    """
    found = {m.truth for m in score.matches}
    matched = {m.prediction for m in score.matches}
    slicks: list[tuple[MultiPolygon, Style]] = []
    slicks += [(t.geometry, TRUE_FOUND if i in found else TRUE_MISSED)
               for i, t in enumerate(score.truth)]
    slicks += [(p.geometry, SERVED_MATCHED if j in matched else SERVED_FALSE)
               for j, p in enumerate(score.predictions)]
    slicks += [(g, SERVED_NOT_OIL) for g in not_oil]
    counts = {s.label: sum(1 for _, style in slicks if style is s) for s in STYLES}
    image, bounds = vv_mosaic(tiles, max_pixels)
    return SceneMap(score.stats.scene_id, image, bounds, tuple(slicks), counts)


def map_box(scene: SceneMap) -> tuple[int, int, int, int]:
    """Where the map lies in its PNG: pixel columns and rows ``(x0, y0, x1, y1)``, top left
    origin, ``x1``/``y1`` exclusive; ``x0`` is ``west``, ``y0`` is ``north``."""
    height, width = scene.image.shape
    x0 = max(_MARGIN_PX, (_MIN_WIDTH_PX - width) // 2)
    return x0, _TITLE_PX, x0 + width, _TITLE_PX + height


def _canvas(scene: SceneMap) -> tuple[int, int]:
    x0, _, x1, y1 = map_box(scene)
    return x1 + x0, y1 + _LEGEND_PX


def scene_map_png(scene: SceneMap) -> bytes:
    """The map as PNG bytes: the greyscale mosaic, the outlines, a title and a legend."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch

    from cerulean_eval.plots import figure

    width, height = _canvas(scene)
    x0, y0, x1, y1 = map_box(scene)
    fig = figure(width / DPI, height / DPI)
    ax = fig.add_axes((x0 / width, 1 - y1 / height, (x1 - x0) / width, (y1 - y0) / height))
    west, south, east, north = scene.bounds
    ax.imshow(scene.image, cmap="gray", vmin=0, vmax=255, extent=(west, east, south, north),
              interpolation="nearest", aspect="auto")
    for geometry, style in scene.slicks:
        for polygon in geometry.geoms:
            ax.add_patch(PathPatch(_path(polygon), facecolor="none", edgecolor=style.colour,
                                   linewidth=style.width, linestyle=style.dashes,
                                   antialiased=False))
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_axis_off()
    fig.text(0.5, 1 - 0.5 * _TITLE_PX / height, scene.scene_id, ha="center", va="center",
             fontsize=8)
    handles = [Line2D([], [], color=s.colour, linewidth=s.width + 1, linestyle=s.dashes,
                      antialiased=False, label=f"{s.label} ({scene.counts[s.label]})")
               for s in STYLES]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False,
               handlelength=2.5, columnspacing=1.2)
    return _palette_png(fig)


def _palette_png(fig: Any) -> bytes:
    """The figure as a palette PNG: greys rounded to GREY_STEP, other colours exact
    (the outlines are drawn without anti-aliasing, so they are few)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas: Any = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    grey = (rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])
    nearest = np.minimum((rgb.astype(np.int32) + GREY_STEP // 2) // GREY_STEP * GREY_STEP, 255)
    rounded = np.where(grey[..., None], nearest, rgb).astype(np.uint8)
    colours, index = np.unique(rounded.reshape(-1, 3), axis=0, return_inverse=True)
    if len(colours) > 256:
        image = Image.fromarray(rounded, "RGB")
    else:
        image = Image.fromarray(index.reshape(rgb.shape[:2]).astype(np.uint8), "P")
        image.putpalette(colours.astype(np.uint8).tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _path(polygon: Polygon) -> Any:
    """A polygon with its holes as one matplotlib path."""
    from matplotlib.path import Path as MplPath

    rings = [np.asarray(polygon.exterior.coords)] + [np.asarray(r.coords)
                                                     for r in polygon.interiors]
    vertices = np.concatenate(rings)
    codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2)
                            + [MplPath.CLOSEPOLY] for r in rings])
    return MplPath(vertices, codes)


class MapKeeper:
    """Keeps the maps of the ``limit`` scenes with the most slicks, as scenes come."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: list[str] = []
        self._kept: list[tuple[int, int, SceneMap]] = []

    def wants(self, interest: int) -> bool:
        """Whether a scene with ``interest`` slicks would be kept (so worth drawing)."""
        if self.limit == 0:
            return False
        return len(self._kept) < self.limit or interest > self._kept[0][0]

    def offer(self, scene_id: str, make: Callable[[], SceneMap], interest: int) -> None:
        """Count a scene, and keep its map (``make()``) when it is among the most telling."""
        order = len(self.seen)
        self.seen.append(scene_id)
        if not self.wants(interest):
            return
        # Ties go to the earlier scene: a later order ranks lower.
        heapq.heappush(self._kept, (interest, -order, make()))
        if len(self._kept) > self.limit:
            heapq.heappop(self._kept)

    @property
    def maps(self) -> list[SceneMap]:
        """The kept maps in the order their scenes came."""
        return [m for _, _, m in sorted(self._kept, key=lambda k: -k[1])]


__all__ = ["MAP_PIXELS", "SERVED_FALSE", "SERVED_MATCHED", "SERVED_NOT_OIL", "STYLES",
           "TRUE_FOUND", "TRUE_MISSED", "MapKeeper", "SceneMap", "Style", "map_box",
           "scene_map", "scene_map_png", "vv_mosaic"]
