"""Reading slicks from GeoJSON: cerulean-infer's predictions, or truth drawn as polygons.

Predictions are read with cerulean-infer's own reader (``read_geojson``), so whatever
``cerulean-infer predict`` writes is read back the same way: features need
``inf_idx`` and ``machine_confidence``; ``class`` names the class (else ``inf_idx``
indexes the evaluated classes). Truth polygons (an analyst's layer) only need a
``class`` property. In both, ``scene_id`` (optional) keeps slicks of different scenes
apart, and every class name must be an evaluated class.

Geometry is checked before it is scored, in both: coordinates must be finite lon/lat
(RFC 7946; a projected or swapped file would otherwise score as nonsense), and a
polygon that is not valid (self-intersecting, a bow-tie from a hand-drawn outline) is
repaired with ``shapely.make_valid``, keeping its polygonal parts, and said once per
file in a warning; one that encloses no area even then is refused.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from cerulean_eval.classes import name_index
from cerulean_eval.errors import PredictionsError
from cerulean_eval.slicks import MapSlick
from cerulean_infer import Slick, read_geojson
from cerulean_tiling import ClassMap
from cerulean_tiling.jsonio import read_feature_collection

logger = logging.getLogger(__name__)


def read_predicted_slicks(path: Path, classes: ClassMap) -> list[MapSlick]:
    """Predicted slicks from a cerulean-infer GeoJSON file, ranked by ``machine_confidence``.

    Raises:
        CeruleanInferError: the file is not a predictions FeatureCollection.
        PredictionsError: a feature's coordinates are not lon/lat, or its polygon
            encloses no area even after repair.
        CategoryMismatchError: a slick's class is not an evaluated class.
    """
    return [scored for scored, _ in read_predictions(path, classes)]


def read_predictions(path: Path, classes: ClassMap) -> list[tuple[MapSlick, Slick]]:
    """Each feature of a cerulean-infer GeoJSON file as scored (class index, scene,
    checked and repaired geometry) and as written (every property, with the class it is
    scored as and the geometry that is scored), from one read of the file.

    Raises:
        The errors of :func:`read_predicted_slicks`.
    """
    out = []
    repaired: list[int] = []
    for n, slick in enumerate(read_geojson(path, classes.names)):
        where = f"{path}: feature {n}"
        geometry = _checked_geometry(slick.geometry, where, n, repaired)
        label = name_index(classes, slick.class_name, where)
        scored = MapSlick(geometry, label, str(slick.extra.get("scene_id", "")),
                          float(slick.machine_confidence))
        out.append((scored, replace(slick, geometry=geometry, inf_idx=label,
                                    class_name=classes.names[label])))
    _say_repaired(path, repaired)
    return out


def read_slicks(path: Path, classes: ClassMap) -> list[MapSlick]:
    """The slicks of a GeoJSON FeatureCollection that names each feature's ``class``.

    Raises:
        PredictionsError: not JSON, not a FeatureCollection, a malformed feature, or
            geometry that is not lon/lat or encloses no area even after repair.
        CategoryMismatchError: a feature's class is not an evaluated class.
    """
    features = read_feature_collection(path, "slicks file", error=PredictionsError)
    repaired: list[int] = []
    slicks = [_slick(feature, classes, f"{path}: feature {n}", n, repaired)
              for n, feature in enumerate(features)]
    _say_repaired(path, repaired)
    return slicks


def _slick(feature: Any, classes: ClassMap, where: str, number: int,
           repaired: list[int]) -> MapSlick:
    try:
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
    except (AttributeError, KeyError, TypeError, ValueError,
            shapely.errors.ShapelyError) as exc:
        raise PredictionsError(f"{where}: not a GeoJSON feature ({exc})") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise PredictionsError(f"{where}: geometry is a {geometry.geom_type}, "
                               "not a (Multi)Polygon")
    geometry = _checked_geometry(geometry, where, number, repaired)
    name = props.get("class")
    if not isinstance(name, str):
        raise PredictionsError(f"{where}: no 'class' property")
    confidence = props.get("machine_confidence", props.get("mean_conf", 1.0))
    if not isinstance(confidence, int | float):
        raise PredictionsError(f"{where}: machine_confidence {confidence!r} is not a number")
    return MapSlick(geometry, name_index(classes, name, where),
                    str(props.get("scene_id", "")), float(confidence))


def _checked_geometry(geometry: BaseGeometry, where: str, number: int,
                      repaired: list[int]) -> MultiPolygon:
    """``geometry`` as a valid MultiPolygon in lon/lat, repaired when it is not valid.

    Raises:
        PredictionsError: a coordinate is not finite or lies outside lon -180..180,
            lat -90..90; or the polygon encloses no area, even once repaired.
    """
    # Bounds skip NaN, so every coordinate is looked at.
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise PredictionsError(f"{where}: coordinates are not finite numbers")
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise PredictionsError(
            f"{where}: coordinates outside lon -180..180, lat -90..90 (bounds "
            f"{west:g}, {south:g}, {east:g}, {north:g}); GeoJSON is lon/lat in EPSG:4326"
        )
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        repaired.append(number)
    polygons = _polygons(geometry)
    if not polygons or sum(p.area for p in polygons) == 0:
        raise PredictionsError(f"{where}: polygon encloses no area"
                               + (" (even after repair)" if repaired[-1:] == [number] else ""))
    return MultiPolygon(polygons)


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    """The polygons with area in ``geometry`` (make_valid can return a collection)."""
    if isinstance(geometry, Polygon):
        return [geometry] if geometry.area > 0 else []
    parts = getattr(geometry, "geoms", ())
    return [p for part in parts for p in _polygons(part)]


def _say_repaired(path: Path, repaired: list[int]) -> None:
    if repaired:
        shown = ", ".join(str(n) for n in repaired[:5]) + (", …" if len(repaired) > 5 else "")
        logger.warning("%s: repaired %d invalid (e.g. self-intersecting) polygon(s) with "
                       "shapely.make_valid: feature %s", path, len(repaired), shown)


__all__ = ["read_predicted_slicks", "read_predictions", "read_slicks"]
