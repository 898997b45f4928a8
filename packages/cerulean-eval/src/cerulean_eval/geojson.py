"""Reading slicks from GeoJSON: cerulean-infer's predictions, or truth drawn as polygons.

Predictions are read with cerulean-infer's own reader (``read_geojson``), so whatever
``cerulean-infer predict`` writes is read back the same way: features need
``inf_idx`` and ``machine_confidence``; ``class`` names the class (else ``inf_idx``
indexes the evaluated classes). Truth polygons (an analyst's layer) only need a
``class`` property. In both, ``scene_id`` (optional) keeps slicks of different scenes
apart, and every class name must be an evaluated class.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, shape

from cerulean_eval.classes import name_index
from cerulean_eval.errors import PredictionsError
from cerulean_eval.slicks import MapSlick
from cerulean_infer import read_geojson
from cerulean_tiling import ClassMap


def read_predicted_slicks(path: Path, classes: ClassMap) -> list[MapSlick]:
    """Predicted slicks from a cerulean-infer GeoJSON file, ranked by ``machine_confidence``.

    Raises:
        CeruleanInferError: the file is not a predictions FeatureCollection.
        CategoryMismatchError: a slick's class is not an evaluated class.
    """
    out = []
    for n, slick in enumerate(read_geojson(path, classes.names)):
        where = f"{path}: feature {n}"
        out.append(MapSlick(slick.geometry, name_index(classes, slick.class_name, where),
                            str(slick.extra.get("scene_id", "")),
                            float(slick.machine_confidence)))
    return out


def read_slicks(path: Path, classes: ClassMap) -> list[MapSlick]:
    """The slicks of a GeoJSON FeatureCollection that names each feature's ``class``.

    Raises:
        PredictionsError: not JSON, not a FeatureCollection, or a malformed feature.
        CategoryMismatchError: a feature's class is not an evaluated class.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PredictionsError(f"{path}: unreadable GeoJSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        raise PredictionsError(f"{path}: not a GeoJSON FeatureCollection")
    return [_slick(feature, classes, f"{path}: feature {n}")
            for n, feature in enumerate(doc["features"])]


def _slick(feature: Any, classes: ClassMap, where: str) -> MapSlick:
    try:
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PredictionsError(f"{where}: not a GeoJSON feature ({exc})") from None
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon([geometry])
    if geometry.geom_type != "MultiPolygon" or not geometry.is_valid:
        raise PredictionsError(f"{where}: geometry is not a valid (Multi)Polygon")
    name = props.get("class")
    if not isinstance(name, str):
        raise PredictionsError(f"{where}: no 'class' property")
    confidence = props.get("machine_confidence", props.get("mean_conf", 1.0))
    if not isinstance(confidence, int | float):
        raise PredictionsError(f"{where}: machine_confidence {confidence!r} is not a number")
    return MapSlick(geometry, name_index(classes, name, where),
                    str(props.get("scene_id", "")), float(confidence))


__all__ = ["read_predicted_slicks", "read_slicks"]
