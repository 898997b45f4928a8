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
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def load_state_dict(path: Path) -> Any:
    """``torch.load`` of a state dict: weights only, on the CPU, memory-mapped if it can.

    ``mmap=True`` (torch 2.1) maps the tensors instead of reading them; torch 2.0, the
    serving runtime's, reads them (its ``torch.load`` passes unknown keywords to the
    unpickler, which refuses ``mmap``). torch 2.0's weights-only loader also warns that
    ``TypedStorage`` is deprecated, about its own internals: that warning is dropped.
    """
    import torch

    extra = {"mmap": True} if _load_takes_mmap() else {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TypedStorage is deprecated",
                                category=UserWarning)
        return torch.load(str(path), map_location="cpu", weights_only=True, **extra)


@functools.cache
def _load_takes_mmap() -> bool:
    import torch

    return "mmap" in inspect.signature(torch.load).parameters


__all__ = ["load_state_dict", "orient_polygons", "orient_polygons_fallback"]
