"""Library features newer than cerulean-infer's dependency floors, with their fallbacks.

The serving service imports cerulean-infer inside its own pins (torch 2.0.1, shapely
2.0.1, numpy < 2), so where the code wants a feature of a later release it calls it
through this module, which uses the feature when the installed release has it and an
equivalent older route otherwise. Each fallback gives the same result as the feature
(the tests compare them where the feature is installed); CI runs the package at its
declared floors and in the service's pins, so a feature used outside this module that
a floor lacks fails there.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

if TYPE_CHECKING:
    from collections.abc import Callable


def orient_polygons(geometry: BaseGeometry) -> BaseGeometry:
    """``geometry`` with counter-clockwise exteriors and clockwise holes (RFC 7946).

    ``shapely.orient_polygons`` arrived in shapely 2.1; before it, each polygon of a
    (Multi)Polygon is oriented by ``shapely.geometry.polygon.orient`` (sign 1: the same
    winding, the same ring starts). Other geometry types are returned unchanged, as
    ``orient_polygons`` does with them.
    """
    modern: Callable[[BaseGeometry], BaseGeometry] | None = getattr(
        shapely, "orient_polygons", None)
    if modern is not None:
        return modern(geometry)
    return orient_polygons_fallback(geometry)


def orient_polygons_fallback(geometry: BaseGeometry) -> BaseGeometry:
    """:func:`orient_polygons` for shapely releases without ``shapely.orient_polygons``."""
    if isinstance(geometry, Polygon):
        return orient(geometry, sign=1.0)
    if isinstance(geometry, MultiPolygon):
        return MultiPolygon([orient(p, sign=1.0) for p in geometry.geoms])
    return geometry


@functools.cache
def load_takes_mmap() -> bool:
    """Whether ``torch.load`` maps tensors (``mmap=``, torch 2.1); torch 2.0's does not.

    torch 2.0, the serving runtime's, passes unknown keywords to the unpickler, which
    refuses ``mmap``: such a release reads the tensors instead.
    """
    import torch

    return "mmap" in inspect.signature(torch.load).parameters


__all__ = ["load_takes_mmap", "orient_polygons", "orient_polygons_fallback"]
