"""Slicks in map coordinates: true slicks put back together across tiles, areas in km².

Truth slicks come from a dataset's georeferenced tiles: each annotation mask is
outlined in its tile's pixels and placed in lon/lat through the tile's bounds (tiles
carry EPSG:4326 transforms, so pixel → degree is affine). A slick that crosses tile
edges is cut into one annotation per tile; its pieces are put back together by taking,
per scene and class, the union of all pieces and calling each connected part one
slick (so pieces that touch across an edge merge). Areas are on the WGS84 ellipsoid
(pyproj.Geod). How predicted slicks are matched to these is defined in
:mod:`cerulean_eval.metrics.slicks`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from rasterio.features import shapes
from rasterio.transform import from_bounds
from shapely.geometry import MultiPolygon, Polygon, shape

from cerulean_tiling import Bounds
from cerulean_tiling.arrays import BoolArray

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, eq=False)
class MapSlick:
    """One slick in lon/lat: geometry, class index, scene and confidence."""

    geometry: MultiPolygon
    label: int
    scene_id: str = ""
    confidence: float = 1.0

    @property
    def area_km2(self) -> float:
        """Area on the WGS84 ellipsoid in km²."""
        return area_km2(self.geometry)


def area_km2(geometry: Any) -> float:
    """Geodesic area of a lon/lat (multi)polygon in km²."""
    if geometry.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(geometry)
    return abs(float(area)) / 1e6


def mask_polygons(mask: BoolArray, bounds: Bounds) -> list[Polygon]:
    """Outline a tile mask in lon/lat (pixel edges, 8-connected regions)."""
    height, width = mask.shape
    transform = from_bounds(*bounds, width, height)
    return [shape(geom) for geom, value in shapes(mask.astype(np.uint8), mask=mask,
                                                  connectivity=8, transform=transform) if value]


@dataclass(frozen=True)
class Piece:
    """A part of a slick found on one tile."""

    scene_id: str
    label: int
    polygons: tuple[Polygon, ...]
    confidence: float = 1.0


def merge_pieces(pieces: Iterable[Piece], grid_size: float) -> list[MapSlick]:
    """Union per (scene, class) of every piece; each connected part is one slick.

    ``grid_size`` (degrees) snaps coordinates before the union so that the shared edge
    of two neighbouring tiles is one line; a hundredth of a pixel is plenty.
    """
    groups: dict[tuple[str, int], list[Piece]] = defaultdict(list)
    for piece in pieces:
        if piece.polygons:
            groups[(piece.scene_id, piece.label)].append(piece)
    out = []
    for (scene_id, label), members in sorted(groups.items()):
        union = shapely.union_all([p for m in members for p in m.polygons], grid_size=grid_size)
        parts = list(getattr(union, "geoms", [union]))
        tree = shapely.STRtree([shapely.union_all(m.polygons) for m in members])
        for part in parts:
            if part.is_empty or part.geom_type != "Polygon":
                continue
            touching = tree.query(part, predicate="intersects")
            confidence = max((members[i].confidence for i in touching), default=1.0)
            out.append(MapSlick(MultiPolygon([part]), label, scene_id, confidence))
    return out


__all__ = ["MapSlick", "Piece", "area_km2", "mask_polygons", "merge_pieces"]
