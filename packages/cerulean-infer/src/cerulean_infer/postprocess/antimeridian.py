"""Polygons that cross the antimeridian, cut into RFC 7946 pieces.

RFC 7946 (§3.1.9) wants a geometry that crosses ±180° cut in two, each piece within
[-180, 180]. A scene lattice that runs past 180° gives outlines with longitudes above
180 (or below -180); an outline stitched from both sides may instead jump from 179.9 to
-179.9. Both are handled: a geometry wider than 180° is first unwrapped (negative
longitudes + 360), then cut at every multiple of 180° outside [-180, 180] and each piece
shifted back by whole turns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from cerulean_infer.postprocess.polygons import as_multipolygon


def _unwrap(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = xy.copy()
    out[:, 0] = np.where(out[:, 0] < 0, out[:, 0] + 360.0, out[:, 0])
    return out


def split_antimeridian(geometry: BaseGeometry) -> MultiPolygon:
    """The geometry as a MultiPolygon whose every piece lies within [-180°, 180°]."""
    if geometry.is_empty:
        return MultiPolygon()
    x0, _, x1, _ = geometry.bounds
    if x1 - x0 > 180.0:
        geometry = shapely.transform(geometry, _unwrap)
        x0, _, x1, _ = geometry.bounds
    if x0 >= -180.0 and x1 <= 180.0:
        return as_multipolygon(geometry)
    pieces = []
    for turn in range(math.floor((x0 + 180.0) / 360.0), math.floor((x1 + 180.0) / 360.0) + 1):
        shift = 360.0 * turn
        piece = geometry.intersection(box(shift - 180.0, -90.0, shift + 180.0, 90.0))
        if not piece.is_empty:
            moved = shapely.transform(piece, lambda xy, s=shift: xy - np.array([s, 0.0]))
            pieces.extend(as_multipolygon(moved).geoms)
    return MultiPolygon(pieces)


__all__ = ["split_antimeridian"]
