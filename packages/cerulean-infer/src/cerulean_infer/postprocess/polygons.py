"""Raster masks to lon/lat polygons.

A mask on a georeferenced grid (an affine transform from pixel (col, row) to (lon, lat),
as rasterio writes it) becomes one polygon per connected region, traced along pixel
edges, with its holes. Outlines are not simplified unless asked: pixel-exact edges are
what an evaluation compares, and simplification is a display choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import rasterio.features
import shapely
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry


def window_transform(transform: Affine, row: int, col: int) -> Affine:
    """The transform of a window whose top-left pixel is (row, col) of ``transform``'s grid."""
    a, b, c, d, e, f = transform[:6]
    return Affine(a, b, c + a * col + b * row, d, e, f + d * col + e * row)


def mask_polygons(mask: np.ndarray[Any, Any], transform: Affine, *, connectivity: int = 4,
                  simplify: float = 0.0) -> list[Polygon]:
    """Polygons of the True (or non-zero) pixels of a mask.

    Args:
        mask: (H, W) booleans or integers (non-zero = inside).
        transform: pixel → lon/lat affine transform of the mask's grid.
        connectivity: 4 joins pixels sharing an edge (outlines are then always valid
            polygons); 8 also joins pixels sharing a corner (what the service uses for
            Mask R-CNN masks; such polygons may touch themselves at a corner).
        simplify: Douglas-Peucker tolerance in the transform's units (0: off).

    Returns:
        One polygon per connected region, holes kept, in the order rasterio traces them.
    """
    inside = np.asarray(mask) != 0
    rows = np.flatnonzero(inside.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(inside.any(axis=0))
    # Tracing costs by raster size: trace only the box that holds the mask.
    r0, c0 = int(rows[0]), int(cols[0])
    inside = inside[r0:int(rows[-1]) + 1, c0:int(cols[-1]) + 1]
    transform = window_transform(transform, r0, c0)
    polygons = [
        shape(geom)
        for geom, value in rasterio.features.shapes(
            inside.astype(np.uint8), mask=inside, transform=transform, connectivity=connectivity
        )
        if value == 1
    ]
    if simplify > 0:
        polygons = [p.simplify(simplify, preserve_topology=True) for p in polygons]
    return [p for p in polygons if isinstance(p, Polygon) and not p.is_empty]


def as_multipolygon(geometry: BaseGeometry | Iterable[Polygon]) -> MultiPolygon:
    """A MultiPolygon of the polygonal parts of a geometry (or of a list of polygons).

    Lines and points (the by-products of clipping or buffering) are dropped.
    """
    if isinstance(geometry, BaseGeometry):
        parts = shapely.get_parts(geometry)
        polygons: list[Polygon] = []
        for part in parts:
            if isinstance(part, Polygon) and not part.is_empty:
                polygons.append(part)
            elif isinstance(part, MultiPolygon):
                polygons.extend(p for p in part.geoms if not p.is_empty)
            elif part.geom_type == "GeometryCollection":
                polygons.extend(as_multipolygon(part).geoms)
        return MultiPolygon(polygons)
    return MultiPolygon([p for p in geometry if not p.is_empty])


__all__ = ["as_multipolygon", "mask_polygons", "window_transform"]
