"""The serving service's tiles as its orchestrator asks its tiler for them.

Computed from morecantile's ``WorldCRS84Quad`` (the tile matrix set of the service's
tiler), independently of our lattice: base tiles (x, y) over the scene's bounds at the
model's zoom, grown by one column and one row; for offset ``o``, each tile spans in
longitude from ``o`` into tile x − 1 to ``o`` into tile x, and in latitude ``o`` of a
tile north of row y. :func:`cerulean_infer.tilesets.plan_tiles` builds the same tiles on
our lattice; this is the service's own arithmetic, for checking that plan and for
reproducing the service's tile requests (the ``serving`` extra provides morecantile).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from cerulean_infer.errors import MissingExtraError
from cerulean_infer.tilesets import SERVING_OFFSETS
from cerulean_tiling import Bounds


class ServiceTile(NamedTuple):
    """One tile of a tileset: row and column from the tileset's first, and its bounds."""

    row: int
    col: int
    bounds: Bounds


def service_tilesets(bounds: Bounds, zoom: int,
                     offsets: Sequence[float] = SERVING_OFFSETS) -> list[list[ServiceTile]]:
    """Every tile of each offset tileset (row-major), bounds as (west, south, east, north).

    Args:
        bounds: the scene's bounds as the service's tiler reports them.
        zoom: the model's zoom.
        offsets: the tilesets' shifts in tiles (the service's 0, 0.33, 0.66).

    Raises:
        MissingExtraError: morecantile (the ``serving`` extra) is not installed.
    """
    tms = _tile_matrix_set()
    base = list(tms.tiles(*bounds, [zoom], truncate=False))
    xs, ys = [t.x for t in base], [t.y for t in base]
    out = []
    for o in offsets:
        tiles = []
        for i, y in enumerate(range(min(ys), max(ys) + 2)):
            for j, x in enumerate(range(min(xs), max(xs) + 2)):
                here, west = tms.bounds(x, y, zoom), tms.bounds(x - 1, y - 1, zoom)
                w, h = here.right - here.left, here.top - here.bottom
                tiles.append(ServiceTile(i, j, (west.left + o * w, here.bottom + o * h,
                                                here.left + o * w, here.top + o * h)))
        out.append(tiles)
    return out


def _tile_matrix_set() -> Any:
    try:
        import morecantile
    except ImportError:
        raise MissingExtraError("the service's tiles need morecantile: install "
                                "cerulean-infer[serving]") from None
    return morecantile.tms.get("WorldCRS84Quad")


__all__ = ["ServiceTile", "service_tilesets"]
