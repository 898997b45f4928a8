"""Which tiles a scene is predicted on: the model's grid, shifted into several tilesets.

The base grid is WorldCRS84Quad at the model's zoom, ``tile_size`` pixels a tile, on
the lattice whose origin is (-180°, 90°): the tiles whose extent meets the scene's
bounds. Tileset ``k`` is that grid grown by one column and one row and shifted by a
fraction ``o_k`` of a tile, the way the serving service derives its offset tiles from
the base tiles: each offset tile's longitudes run from ``o`` into tile ``x − 1`` to
``o`` into tile ``x`` (east by ``o``, starting one column west of the base tiles), its
latitudes ``o`` of a tile north of base row ``y``, rows running one past the last base
row. Shifts are rounded to whole lattice pixels (the service's 0.33 of 512 px is
168.96 px, 0.66 is 337.92 px): predictions are placed on the lattice at the rounded
windows, while the service's tiler renders each tile at its exact bounds
(:meth:`TilePlan.service_bounds`), 0.04 and 0.08 px away.

The base tiles are those meeting the scene's bounds: the footprint's, or the bounds the
service's tiler reports (``bounds``, with ``georef="serving"``). Tiles that do not meet
the scene footprint (the swath, not its bounding box), or lie wholly on land when a land
mask is given, are skipped: they hold no data to predict (the service drops tiles with
no data after reading them, and tiles on land before).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cerulean_infer.errors import SceneError

if TYPE_CHECKING:
    from affine import Affine
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

    from cerulean_tiling import Bounds, Lattice, Window

SERVING_OFFSETS = (0.0, 0.33, 0.66)
"""The service's tileset offsets, in tiles."""


@dataclass(frozen=True)
class PlacedTile:
    """One tile to predict: its tileset, its position in it, and its lattice window."""

    tileset: int
    row: int
    col: int
    window: Window


@dataclass(frozen=True)
class TilePlan:
    """Every tile to predict for one scene, tileset by tileset.

    Attributes:
        lattice: the model's pixel grid.
        tile_size: tile side in pixels.
        offsets: each tileset's shift in tiles.
        tiles: the tiles kept, tileset-major, row-major inside a tileset.
        scene_window: the lattice window holding the scene's bounds (the merged raster).
        skipped: tiles dropped as outside the footprint or on land.
        exact: tiles are rendered at the service's exact bounds (``georef="serving"``),
            not cut from the lattice at their rounded windows.
    """

    lattice: Lattice
    tile_size: int
    offsets: tuple[float, ...]
    tiles: tuple[PlacedTile, ...]
    scene_window: Window
    skipped: int
    exact: bool = False

    def tileset(self, k: int) -> list[PlacedTile]:
        return [t for t in self.tiles if t.tileset == k]

    def service_bounds(self, tile: PlacedTile) -> Bounds:
        """The tile's exact bounds as the service asks its tiler for them.

        The lattice window is shifted by ``round(o · tile_size)`` pixels; the service's
        tile by ``o · tile_size``: the difference moves it east and north alike.
        """
        delta = self._delta(tile.tileset)
        west, south, east, north = self.lattice.bounds(tile.window)
        return (west + delta, south + delta, east + delta, north + delta)

    def transform(self, window: Window, tileset: int) -> Affine:
        """Pixel → lon/lat of ``window`` of tileset ``tileset`` as its tiles were made:
        the lattice's, or (``exact``) moved onto the service's bounds."""
        from affine import Affine

        transform = self.lattice.transform(window)
        if not self.exact:
            return transform
        delta = self._delta(tileset)
        return Affine.translation(delta, delta) * transform

    def _delta(self, tileset: int) -> float:
        shift = self.offsets[tileset] * self.tile_size
        return (shift - round(shift)) * self.lattice.res


def tileset_offsets(count: int, serving: bool = False) -> tuple[float, ...]:
    """Offsets of ``count`` tilesets: ``k / count``, or the service's 0, 0.33, 0.66.

    Raises:
        SceneError: ``count`` is below 1, or above 3 with ``serving``.
    """
    if count < 1:
        raise SceneError(f"tilesets {count}: at least one tileset is needed")
    if serving:
        if count > len(SERVING_OFFSETS):
            raise SceneError(f"tilesets {count}: the service runs at most "
                             f"{len(SERVING_OFFSETS)} tilesets")
        return SERVING_OFFSETS[:count]
    return tuple(k / count for k in range(count))


def model_lattice(zoom: int, tile_size: int) -> Lattice:
    """The WorldCRS84Quad lattice of ``zoom`` at ``tile_size`` pixels per tile."""
    from cerulean_tiling import Lattice, tms_matrix

    origin_x, origin_y, extent = tms_matrix(zoom)
    return Lattice(origin_x, origin_y, extent / tile_size)


def plan_tiles(lattice: Lattice, tile_size: int, footprint: Polygon,
               offsets: tuple[float, ...], land: BaseGeometry | None = None,
               bounds: Bounds | None = None, exact: bool = False) -> TilePlan:
    """The tiles of every tileset that meet ``footprint`` and are not wholly on land.

    Args:
        lattice: the model's pixel grid.
        tile_size: tile side in pixels.
        footprint: the scene's outline; tiles not meeting it are skipped.
        offsets: each tileset's shift in tiles.
        land: land polygons; tiles wholly inside are skipped.
        bounds: the bounds the base tiles are laid over (default: the footprint's).
        exact: the tiles will be rendered at the service's exact bounds.
    """
    from shapely import prepared
    from shapely.geometry import box

    from cerulean_tiling import Window

    west, south, east, north = bounds if bounds is not None else footprint.bounds
    scene = lattice.window_for((west, south, east, north))
    x0, y0 = scene.col // tile_size, scene.row // tile_size
    x1 = (scene.col + scene.width - 1) // tile_size
    y1 = (scene.row + scene.height - 1) // tile_size
    inside = prepared.prep(footprint)
    on_land = prepared.prep(land) if land is not None else None
    tiles: list[PlacedTile] = []
    skipped = 0
    for k, offset in enumerate(offsets):
        shift = round(offset * tile_size)
        col0 = (x0 - 1) * tile_size + shift
        row0 = y0 * tile_size - shift
        for i in range(y1 - y0 + 2):
            for j in range(x1 - x0 + 2):
                window = Window(row0 + i * tile_size, col0 + j * tile_size, tile_size,
                                tile_size)
                extent = box(*lattice.bounds(window))
                if not inside.intersects(extent) or (on_land is not None
                                                     and on_land.contains(extent)):
                    skipped += 1
                    continue
                tiles.append(PlacedTile(k, i, j, window))
    return TilePlan(lattice, tile_size, tuple(offsets), tuple(tiles), scene, skipped, exact)


def read_land(path: Path) -> BaseGeometry:
    """The union of the polygons in a GeoJSON file (lon/lat), as one geometry.

    Raises:
        SceneError: the file is missing, not GeoJSON, or holds no polygon.
    """
    from cerulean_infer.reclassify import read_polygons

    return read_polygons(path, "land mask")


def grid_extent(tiles: list[PlacedTile]) -> Window:
    """The smallest window holding every tile of ``tiles`` (one tileset's mosaic)."""
    from cerulean_tiling import Window

    if not tiles:
        raise SceneError("no tiles to stitch")
    r0 = min(t.window.row for t in tiles)
    c0 = min(t.window.col for t in tiles)
    r1 = max(t.window.row + t.window.height for t in tiles)
    c1 = max(t.window.col + t.window.width for t in tiles)
    return Window(r0, c0, r1 - r0, c1 - c0)


__all__ = ["SERVING_OFFSETS", "PlacedTile", "TilePlan", "grid_extent", "model_lattice",
           "plan_tiles", "read_land", "tileset_offsets"]
