"""JSON and GeoJSON files, read and written: the one implementation every package uses.

Reading: :func:`read_json` turns each way a file can fail to be JSON into one line that
names the file and what it was meant to be (``scenes.geojson: cannot read scene list (No
such file or directory)``, ``… scene list is not UTF-8 text``, ``… scene list is not
valid JSON (Expecting value at line 1 column 2)``). Each package passes its own error
class (``error=DatasetReadError``), so its callers keep catching what they caught; the
default is :class:`~cerulean_tiling.errors.JSONReadError`. On top of it,
:func:`read_json_object` wants a JSON object, :func:`read_feature_collection` a GeoJSON
FeatureCollection's features, and :func:`read_geometries` the geometries of a
FeatureCollection, a Feature or a bare geometry (infrastructure, land and sea-ice files).

Writing: :func:`json_text` is the one JSON encoder (compact or indented, refusing what
JSON cannot hold) and :func:`write_json` writes its text through
:mod:`cerulean_tiling.atomic`, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from cerulean_tiling.atomic import write_text
from cerulean_tiling.errors import CeruleanError, JSONReadError, JSONValueError
from cerulean_tiling.paths import printable

GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString",
                            "Polygon", "MultiPolygon", "GeometryCollection"})
"""The ``type`` values of a bare GeoJSON geometry (RFC 7946 §3.1)."""


def read_json(path: Path | str, what: str, *,
              error: type[CeruleanError] = JSONReadError) -> Any:
    """The JSON value in ``path`` (UTF-8 text), or one line saying why there is none.

    Args:
        path: the file.
        what: what the file is meant to be, for the message (``"scene list"``).
        error: the error class to raise (the caller's package's own).

    Raises:
        error: the file cannot be read (the OS's reason), is not UTF-8 text, or is not
            valid JSON (the parser's reason, line and column); the message names the
            file and ``what``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: {what} is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: {what} is not valid JSON "
                    f"({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def read_json_object(path: Path | str, what: str, *,
                     error: type[CeruleanError] = JSONReadError) -> dict[str, Any]:
    """The JSON object in ``path``; see :func:`read_json`.

    Raises:
        error: as :func:`read_json`, or the top level is not an object.
    """
    doc = read_json(path, what, error=error)
    if not isinstance(doc, dict):
        raise error(f"{path}: {what} is not a JSON object (found {_kind(doc)})")
    return doc


def read_feature_collection(path: Path | str, what: str, *,
                            error: type[CeruleanError] = JSONReadError) -> list[Any]:
    """The ``features`` of the GeoJSON FeatureCollection in ``path``, in file order.

    The features themselves are not checked: each reader knows which properties it
    needs and names the feature at fault.

    Raises:
        error: as :func:`read_json`, or not a FeatureCollection with a ``features`` list.
    """
    return _features(read_json(path, what, error=error), path, what, error)


def read_geometries(path: Path | str, what: str, *,
                    error: type[CeruleanError] = JSONReadError) -> list[dict[str, Any]]:
    """The geometry objects of a GeoJSON FeatureCollection, Feature or bare geometry.

    Features without a geometry (``null``) are skipped; the geometries are returned as
    written, for shapely's ``shape`` or rasterio's ``rasterize``.

    Raises:
        error: as :func:`read_json`; a document that is none of the three; a
            FeatureCollection without a ``features`` list; a feature or geometry that is
            not a JSON object (the message names ``features[N]``).
    """
    doc = read_json(path, what, error=error)
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection":
        features = _features(doc, path, what, error)
    elif kind == "Feature":
        features = [doc]
    elif kind in GEOMETRY_TYPES:
        return [doc]
    else:
        raise error(f"{path}: {what} is not a GeoJSON FeatureCollection, Feature or geometry")
    geometries = []
    for number, feature in enumerate(features):
        where = f"features[{number}] of the {what}" if kind == "FeatureCollection" \
            else f"the {what}"
        if not isinstance(feature, dict):
            raise error(f"{path}: {where} is not a GeoJSON Feature (found {_kind(feature)})")
        geometry = feature.get("geometry")
        if not geometry:
            continue
        if not isinstance(geometry, dict):
            raise error(f"{path}: the geometry of {where} is not a GeoJSON object "
                        f"(found {_kind(geometry)})")
        geometries.append(geometry)
    return geometries


def json_text(data: Any, *, indent: int | None = None, sort_keys: bool = False,
              where: str = "JSON") -> str:
    """``data`` as JSON text, refusing what JSON cannot hold: the one JSON encoder.

    ``indent=None`` gives the compact form (no spaces), which is what byte-identical
    outputs compare. NaN and infinity are refused rather than written as the bare
    ``NaN``/``Infinity`` that Python alone reads (a value without one is ``null``, said
    by its producer), and so is text that is not valid UTF-8 (a name read from disk).

    Args:
        data: JSON-able values (dicts, lists, str, int, float, bool, None).
        indent: spaces per level, or None for the compact form.
        sort_keys: write object keys in sorted order.
        where: what the text is for (a file name), for the message.

    Raises:
        JSONValueError: a non-finite number or non-UTF-8 text; the message names
            ``where`` and the key (``metrics.per_class[2].iou``).
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    try:
        text = json.dumps(data, indent=indent, ensure_ascii=False, separators=separators,
                          sort_keys=sort_keys, allow_nan=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        found = _unwritable(data, "")
        if found is None:
            raise
        key, problem = found
        raise JSONValueError(f"{where}: {key or 'the value'} {problem}") from None
    return text


def write_json(path: Path, data: Any, *, indent: int | None = None, sort_keys: bool = False,
               what: str = "") -> None:
    """Write ``data`` as UTF-8 JSON (plus a final newline) atomically.

    See :func:`json_text` for the form and what is refused.

    Raises:
        JSONValueError: ``data`` holds NaN, infinity or non-UTF-8 text (names the file
            and key; nothing is written).
        OutputError: the file cannot be written.
    """
    text = json_text(data, indent=indent, sort_keys=sort_keys, where=str(path))
    write_text(path, text + "\n", what)


def _features(doc: Any, path: Path | str, what: str,
              error: type[CeruleanError]) -> list[Any]:
    """``doc["features"]`` when ``doc`` is a FeatureCollection holding a list of them."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise error(f"{path}: {what} is not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise error(f"{path}: {what} has no 'features' list")
    return features


def _kind(value: Any) -> str:
    """The JSON name of ``value``'s type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "an array"


def _unwritable(value: Any, key: str) -> tuple[str, str] | None:
    """The first key whose value JSON cannot hold, and why; None when there is none."""
    if isinstance(value, float) and not math.isfinite(value):
        return key, f"is {value}, which JSON cannot hold (an undefined value is null)"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return key, f"holds text that is not valid UTF-8 ({printable(value)!r})"
        return None
    if isinstance(value, dict):
        for name, item in value.items():
            label = f"{key}.{name}" if key else str(name)
            found = _unwritable(name, label) if isinstance(name, str) else None
            found = found or _unwritable(item, label)
            if found is not None:
                return printable(found[0]), found[1]
        return None
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            found = _unwritable(item, f"{key}[{position}]")
            if found is not None:
                return found
    return None


__all__ = [
    "GEOMETRY_TYPES",
    "json_text",
    "read_feature_collection",
    "read_geometries",
    "read_json",
    "read_json_object",
    "write_json",
]
