"""Tile grids: which tiles cover a scene, and where each tile sits on a pixel lattice.

Both grids are expressed on a *lattice*: an EPSG:4326 pixel grid with a top-left origin
and square pixels. A scene is warped once onto the lattice window that holds all of its
tiles (the mosaic); each tile is then a slice of that window.

- ``tms``: WorldCRS84Quad (the serving grid, from morecantile). At zoom z a tile spans
  180/2^z degrees;
  tiles are rendered at ``tile_size`` pixels (512 at zoom 9 ≈ 0.000687° ≈ 76 m per
  pixel). The lattice origin is (-180, 90), so tile (x, y) is the lattice window at
  rows y·size, cols x·size; its bounds equal morecantile's.
- ``pixel``: fixed windows of ``tile_size`` with ``overlap`` over the warped scene, on a
  lattice anchored at the scene's north-west corner with the serving resolution of
  ``zoom`` (its tile extent / 512), whatever the window size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from affine import Affine

from cerulean_tiling.config import TilingConfig
from cerulean_tiling.types import Bounds, GridName

SERVING_TILE_SIZE = 512


@dataclass(frozen=True)
class Window:
    """A rectangle of lattice pixels: rows [row, row+height), cols [col, col+width)."""

    row: int
    col: int
    height: int
    width: int

    def intersection(self, other: Window) -> Window | None:
        r0, c0 = max(self.row, other.row), max(self.col, other.col)
        r1 = min(self.row + self.height, other.row + other.height)
        c1 = min(self.col + self.width, other.col + other.width)
        if r1 <= r0 or c1 <= c0:
            return None
        return Window(r0, c0, r1 - r0, c1 - c0)

    def slices_in(self, outer: Window) -> tuple[slice, slice]:
        """Slices selecting this window inside an array that covers ``outer``."""
        r, c = self.row - outer.row, self.col - outer.col
        return slice(r, r + self.height), slice(c, c + self.width)


@dataclass(frozen=True)
class Lattice:
    """An EPSG:4326 pixel grid: top-left corner (x0, y0) and pixel size ``res`` degrees."""

    x0: float
    y0: float
    res: float

    def transform(self, window: Window) -> Affine:
        """Affine transform (pixel corner → lon/lat) of ``window``."""
        return Affine(self.res, 0.0, self.x0 + window.col * self.res,
                      0.0, -self.res, self.y0 - window.row * self.res)

    def bounds(self, window: Window) -> Bounds:
        """west, south, east, north of ``window``."""
        west = self.x0 + window.col * self.res
        north = self.y0 - window.row * self.res
        return (west, north - window.height * self.res, west + window.width * self.res, north)

    def window_for(self, bounds: Bounds, pad: int = 0) -> Window:
        """Smallest window containing ``bounds``, grown by ``pad`` pixels on each side."""
        west, south, east, north = bounds
        c0 = math.floor((west - self.x0) / self.res) - pad
        c1 = math.ceil((east - self.x0) / self.res) + pad
        r0 = math.floor((self.y0 - north) / self.res) - pad
        r1 = math.ceil((self.y0 - south) / self.res) + pad
        return Window(r0, c0, max(r1 - r0, 1), max(c1 - c0, 1))


@dataclass(frozen=True)
class TileSpec:
    """One tile of a grid: its index, file stem and lattice window."""

    grid: GridName
    index: tuple[int, ...]
    window: Window

    def name(self, scene_id: str) -> str:
        return f"{scene_id}_{'_'.join(str(i) for i in self.index)}" if self.grid == "tms" \
            else f"{scene_id}_px_{self.index[0]}_{self.index[1]}"


@lru_cache(maxsize=1)
def _world_crs84_quad():  # type: ignore[no-untyped-def]
    import morecantile

    return morecantile.tms.get("WorldCRS84Quad")


def tms_matrix(zoom: int) -> tuple[float, float, float]:
    """WorldCRS84Quad at ``zoom``: top-left origin (lon, lat) and tile extent in degrees.

    Read from morecantile's tile matrix, so the grid is the one serving uses.
    """
    matrix = _world_crs84_quad().matrix(zoom)
    origin_x, origin_y = matrix.pointOfOrigin
    return float(origin_x), float(origin_y), float(matrix.cellSize * matrix.tileWidth)


class TileGrid:
    """Tiles of one grid over one scene.

    Build with :func:`grid_for`; iterate :meth:`tiles` for the tiles covering the scene
    and use :attr:`mosaic` as the window to warp the scene into.
    """

    def __init__(self, config: TilingConfig, scene_bounds: Bounds) -> None:
        self.kind: GridName = config.grid
        self.zoom = config.zoom
        self.size = config.tile_size
        origin_x, origin_y, extent = tms_matrix(config.zoom)
        if config.grid == "tms":
            self.lattice = Lattice(origin_x, origin_y, extent / config.tile_size)
            self.stride = self.size
            scene = self.lattice.window_for(scene_bounds)
            x0, y0 = scene.col // self.size, scene.row // self.size
            x1 = (scene.col + scene.width - 1) // self.size
            y1 = (scene.row + scene.height - 1) // self.size
            self._first = (y0, x0)
            self._counts = (y1 - y0 + 1, x1 - x0 + 1)
        else:
            res = extent / SERVING_TILE_SIZE
            west, _, _, north = scene_bounds
            origin = Lattice(0.0, 0.0, res)
            corner = origin.window_for((west, north, west, north))
            self.lattice = Lattice(corner.col * res, -corner.row * res, res)
            self.stride = self.size - config.overlap
            scene = self.lattice.window_for(scene_bounds)
            rows = max(1, math.ceil((scene.row + scene.height - self.size) / self.stride) + 1)
            cols = max(1, math.ceil((scene.col + scene.width - self.size) / self.stride) + 1)
            self._first = (0, 0)
            self._counts = (rows, cols)
        first_r, first_c = self._first
        n_r, n_c = self._counts
        self.mosaic = Window(
            first_r * self.stride, first_c * self.stride,
            (n_r - 1) * self.stride + self.size, (n_c - 1) * self.stride + self.size,
        )

    def tiles(self) -> Iterator[TileSpec]:
        """Every tile whose window intersects the scene's bounds, row-major."""
        first_r, first_c = self._first
        n_r, n_c = self._counts
        for i in range(first_r, first_r + n_r):
            for j in range(first_c, first_c + n_c):
                window = Window(i * self.stride, j * self.stride, self.size, self.size)
                index = (self.zoom, j, i) if self.kind == "tms" else (i, j)
                yield TileSpec(self.kind, index, window)
