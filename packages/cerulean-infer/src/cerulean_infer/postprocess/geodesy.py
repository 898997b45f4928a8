"""Metres on the WGS 84 ellipsoid: local UTM frames for buffers and distances, geodesic areas.

Slick polygons live in lon/lat, where a degree of longitude shrinks with latitude, so
buffers, distances and IoU areas are computed in a local metric frame: the UTM zone at
the centre of the geometries' bounding box, the zone geopandas' ``estimate_utm_crs``
picks (the serving service projects there before every merge). Reported areas are
ellipsoidal (:func:`area_km2`), not planar in any projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

from cerulean_infer.compat import orient_polygons

G = TypeVar("G", bound=BaseGeometry)

_GEOD = Geod(ellps="WGS84")


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing (lon, lat).

    On a zone boundary (a multiple of 6° longitude, or the equator) the lower code wins,
    as pyproj's ``query_utm_crs_info`` lists it first: western zone, northern hemisphere.
    """
    zone = min(max(math.ceil((lon + 180.0) / 6.0), 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=32)
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    back = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    return forward, back


def _apply(transformer: Transformer, geoms: Sequence[G]) -> list[G]:
    def move(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    moved = shapely.transform(np.asarray(list(geoms), dtype=object), move)
    return list(moved)


@dataclass(frozen=True)
class MetricFrame:
    """A UTM zone to do metric geometry in, and the way back to lon/lat.

    Attributes:
        epsg: the zone's EPSG code (326zz north, 327zz south).
    """

    epsg: int

    @classmethod
    def around(cls, geoms: Sequence[BaseGeometry]) -> MetricFrame:
        """The zone at the centre of the geometries' joint bounding box."""
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(list(geoms), dtype=object))
        if not np.isfinite([x0, y0, x1, y1]).all():
            return cls(utm_epsg(0.0, 0.0))
        return cls(utm_epsg((x0 + x1) / 2, (y0 + y1) / 2))

    def to_metric(self, geoms: Sequence[G]) -> list[G]:
        """The lon/lat geometries in this zone's metres."""
        return _apply(_transformers(self.epsg)[0], geoms)

    def to_lonlat(self, geoms: Sequence[G]) -> list[G]:
        """Geometries in this zone's metres back in lon/lat."""
        return _apply(_transformers(self.epsg)[1], geoms)


def area_km2(geometry: BaseGeometry) -> float:
    """Ellipsoidal (WGS 84) area of a lon/lat (Multi)Polygon in km², holes subtracted.

    Edges are geodesics; for the pixel-sized edges of slick outlines that is the same as
    the lat/lon lines they follow.
    """
    area, _ = _GEOD.geometry_area_perimeter(orient_polygons(geometry))
    return abs(float(area)) / 1e6


__all__ = ["MetricFrame", "area_km2", "utm_epsg"]
