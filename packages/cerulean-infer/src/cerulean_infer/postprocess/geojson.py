"""Predictions as GeoJSON: the FeatureCollection cerulean-infer writes and cerulean-eval reads.

RFC 7946: lon/lat (WGS 84), every feature a MultiPolygon with counter-clockwise
exteriors and clockwise holes, cut at the antimeridian. Feature properties::

    class               class name            inf_idx         model output index
    machine_confidence  the ranking score     mean_conf, median_conf, max_conf
    area_km2            ellipsoidal area      scene_id, model
    ...                 any other Slick.extra entries, after these

:func:`read_geojson` reads such a file back into :class:`~cerulean_infer.records.Slick`
records; properties beyond the Slick fields (``area_km2``, ``scene_id``, ``model`` and
any others) land in ``extra``, so writing what was read gives the same file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from cerulean_infer.compat import orient_polygons
from cerulean_infer.errors import OutputError, PredictionsError
from cerulean_infer.postprocess.antimeridian import split_antimeridian
from cerulean_infer.postprocess.geodesy import area_km2
from cerulean_infer.postprocess.polygons import as_multipolygon
from cerulean_infer.records import Slick
from cerulean_tiling import CeruleanTilingError
from cerulean_tiling.atomic import write_json

_CONFIDENCES = ("machine_confidence", "mean_conf", "median_conf", "max_conf")
_SLICK_KEYS = ("class", "inf_idx", *_CONFIDENCES)


def _coords(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_coords(v) for v in value]
    return float(value)


def feature(slick: Slick, scene_id: str, model_name: str) -> dict[str, Any]:
    """One slick as an RFC 7946 Feature (see the module docstring for its properties)."""
    geometry = orient_polygons(split_antimeridian(slick.geometry))
    properties: dict[str, Any] = {
        "class": slick.class_name,
        "inf_idx": int(slick.inf_idx),
        **{name: float(getattr(slick, name)) for name in _CONFIDENCES},
        "area_km2": area_km2(geometry),
        "scene_id": scene_id,
        "model": model_name,
    }
    properties.update((k, v) for k, v in slick.extra.items() if k not in properties)
    doc = mapping(geometry)
    return {
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": _coords(doc["coordinates"])},
        "properties": properties,
    }


def feature_collection(slicks: Sequence[Slick], scene_id: str,
                       model_name: str) -> dict[str, Any]:
    """The slicks of one scene as an RFC 7946 FeatureCollection (a JSON-ready dict)."""
    return {
        "type": "FeatureCollection",
        "features": [feature(s, scene_id, model_name) for s in slicks],
    }


def write_geojson(path: Path | str, collection: dict[str, Any]) -> None:
    """Write a FeatureCollection atomically (complete or not at all).

    Raises:
        OutputError: the file cannot be written (the message names it).
    """
    path = Path(path)
    try:
        write_json(path, collection, what="predictions")
    except CeruleanTilingError as exc:
        raise OutputError(str(exc)) from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write predictions ({exc.strerror or exc})") from None


def _slick(doc: Any, where: str, classes: Sequence[str] | None) -> Slick:
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise PredictionsError(f"{where}: not a GeoJSON Feature")
    properties = doc.get("properties")
    if not isinstance(properties, dict):
        raise PredictionsError(f"{where}: has no properties object")
    required = ("inf_idx", "machine_confidence") if classes else (
        "class", "inf_idx", "machine_confidence")
    missing = [k for k in required if k not in properties]
    if missing:
        raise PredictionsError(f"{where}: missing properties {', '.join(missing)}")
    try:
        geometry = shape(doc["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise PredictionsError(f"{where}: bad geometry ({exc})") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise PredictionsError(f"{where}: geometry is a {geometry.geom_type}, "
                               f"not a (Multi)Polygon")
    try:
        confidence = {k: float(properties[k] if k in properties
                               else properties["machine_confidence"]) for k in _CONFIDENCES}
        inf_idx = properties["inf_idx"]
        if isinstance(inf_idx, bool) or not isinstance(inf_idx, int):
            raise ValueError(f"inf_idx {inf_idx!r} is not an integer")
    except (TypeError, ValueError) as exc:
        raise PredictionsError(f"{where}: bad property ({exc})") from None
    if not all(math.isfinite(v) for v in confidence.values()):
        raise PredictionsError(f"{where}: confidences must be finite, got {confidence}")
    name = properties.get("class")
    if name is None and classes:
        if not 0 <= inf_idx < len(classes):
            raise PredictionsError(f"{where}: inf_idx {inf_idx} is not one of the "
                                   f"{len(classes)} classes {list(classes)}")
        name = classes[inf_idx]
    if not isinstance(name, str):
        raise PredictionsError(f"{where}: class {name!r} is not a name")
    return Slick(
        geometry=as_multipolygon(geometry), inf_idx=inf_idx, class_name=name,
        machine_confidence=confidence["machine_confidence"], mean_conf=confidence["mean_conf"],
        median_conf=confidence["median_conf"], max_conf=confidence["max_conf"],
        extra={k: v for k, v in properties.items() if k not in _SLICK_KEYS},
    )


def read_geojson(path: Path | str, classes: Sequence[str] | None = None) -> list[Slick]:
    """The slicks of a predictions FeatureCollection, in file order.

    Args:
        path: the GeoJSON file.
        classes: class name of each model output index; when given, features without a
            ``class`` property (the serving service writes none) are named by
            ``inf_idx``. Missing ``mean_conf``/``median_conf``/``max_conf`` default to
            ``machine_confidence``.

    Raises:
        PredictionsError: the file is missing or unreadable, not JSON, not a
            FeatureCollection, or a feature lacks a (Multi)Polygon or the class and
            confidence properties (the message names the file and the feature).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PredictionsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PredictionsError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PredictionsError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise PredictionsError(f"{path}: not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise PredictionsError(f"{path}: 'features' is not a list")
    return [_slick(f, f"{path}: feature {i}", classes) for i, f in enumerate(features)]


__all__ = ["feature", "feature_collection", "read_geojson", "write_geojson"]
