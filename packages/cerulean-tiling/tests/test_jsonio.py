from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from cerulean_tiling.errors import (
    AuxChannelError,
    CeruleanError,
    JSONReadError,
    JSONValueError,
    SceneReadError,
)
from cerulean_tiling.jsonio import (
    json_text,
    read_feature_collection,
    read_geometries,
    read_json,
    read_json_object,
    write_json,
)

POINT = {"type": "Point", "coordinates": [56.1, 24.6]}
LINE = {"type": "LineString", "coordinates": [[56.0, 24.5], [56.2, 24.7]]}


def _one_line_naming(exc: BaseException, path: Path, what: str) -> str:
    """The message of ``exc`` after ``<path>: ``, checked to be one line that names both."""
    message = str(exc)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    assert what in message, message
    return message.removeprefix(f"{path}: ")


def test_read_json_returns_what_write_json_wrote(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    data = {"b": [1, 2.5, None, True], "a": "é ✓", "nested": {"k": []}}
    write_json(path, data, indent=2)
    assert read_json(path, "document") == data
    assert read_json(str(path), "document") == data
    write_json(path, [1, "x"])
    assert read_json(path, "document") == [1, "x"]


@pytest.mark.parametrize(("content", "says"), [
    (None, r"cannot read scene list \(No such file or directory\)"),
    ("dir", r"cannot read scene list \(Is a directory\)"),
    (b"{\"a\": \"caf\xe9\"}", r"scene list is not UTF-8 text \(byte 10\)"),
    (b"", r"scene list is not valid JSON \(Expecting value at line 1 column 1\)"),
    (b'{"a": 1,\n "b": }', r"scene list is not valid JSON \(Expecting value at line 2 column 7\)"),
    (b'{"a": 1} trailing', r"scene list is not valid JSON \(Extra data at line 1 column 10\)"),
])
def test_each_read_failure_is_one_line_naming_the_file_and_what_it_is(
        tmp_path: Path, content: bytes | str | None, says: str) -> None:
    path = tmp_path / "scenes.geojson"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(JSONReadError) as caught:
        read_json(path, "scene list")
    assert re.fullmatch(says, _one_line_naming(caught.value, path, "scene list"))


def test_the_caller_chooses_the_error_class(tmp_path: Path) -> None:
    path = tmp_path / "gcps.json"
    path.write_text("{not json")
    with pytest.raises(SceneReadError, match="gcps.json: GCP sidecar is not valid JSON") as caught:
        read_json(path, "GCP sidecar", error=SceneReadError)
    assert not isinstance(caught.value, JSONReadError)
    with pytest.raises(AuxChannelError, match="gcps.json.missing: cannot read infrastructure file"):
        read_geometries(tmp_path / "gcps.json.missing", "infrastructure file",
                        error=AuxChannelError)
    # Every package's reader error is caught by the shared root, as the CLI runner does.
    assert issubclass(JSONReadError, CeruleanError) and issubclass(JSONReadError, OSError)


@pytest.mark.parametrize(("doc", "found"), [
    ([1, 2], "an array"), ("text", "a string"), (3.5, "a number"), (None, "null"),
    (True, "a boolean"),
])
def test_read_json_object_refuses_other_top_levels(tmp_path: Path, doc: Any, found: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(JSONReadError) as caught:
        read_json_object(path, "download state")
    message = _one_line_naming(caught.value, path, "download state")
    assert message == f"download state is not a JSON object (found {found})"
    path.write_text('{"url": "https://x"}')
    assert read_json_object(path, "download state") == {"url": "https://x"}


def test_read_feature_collection_gives_the_features_as_written(tmp_path: Path) -> None:
    path = tmp_path / "slicks.geojson"
    features = [{"type": "Feature", "geometry": POINT, "properties": {"class": "a"}}, 7, None]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert read_feature_collection(path, "predictions file") == features
    path.write_text('{"type": "FeatureCollection", "features": []}')
    assert read_feature_collection(path, "predictions file") == []


@pytest.mark.parametrize(("doc", "says"), [
    ({"type": "Feature", "geometry": POINT}, "is not a GeoJSON FeatureCollection"),
    ([{"type": "FeatureCollection", "features": []}], "is not a GeoJSON FeatureCollection"),
    ({"features": []}, "is not a GeoJSON FeatureCollection"),
    ({"type": "FeatureCollection"}, "has no 'features' list"),
    ({"type": "FeatureCollection", "features": {}}, "has no 'features' list"),
])
def test_read_feature_collection_refuses_other_documents(tmp_path: Path, doc: Any,
                                                         says: str) -> None:
    path = tmp_path / "slicks.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(SceneReadError) as caught:
        read_feature_collection(path, "predictions file", error=SceneReadError)
    assert _one_line_naming(caught.value, path, "predictions file") == \
        f"predictions file {says}"


def test_read_geometries_of_a_collection_a_feature_and_a_bare_geometry(tmp_path: Path) -> None:
    path = tmp_path / "infra.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": POINT, "properties": {}},
        {"type": "Feature", "geometry": None, "properties": {"note": "no place"}},
        {"type": "Feature", "properties": {}},
        {"type": "Feature", "geometry": LINE, "properties": {}},
    ]}))
    assert read_geometries(path, "infrastructure file") == [POINT, LINE]
    path.write_text(json.dumps({"type": "Feature", "geometry": LINE, "properties": {}}))
    assert read_geometries(path, "infrastructure file") == [LINE]
    path.write_text(json.dumps({"type": "Feature", "geometry": None, "properties": {}}))
    assert read_geometries(path, "infrastructure file") == []
    path.write_text(json.dumps(POINT))
    assert read_geometries(path, "infrastructure file") == [POINT]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert read_geometries(path, "infrastructure file") == []


@pytest.mark.parametrize(("doc", "says"), [
    ({"type": "Topology", "objects": {}},
     "land mask is not a GeoJSON FeatureCollection, Feature or geometry"),
    ([POINT], "land mask is not a GeoJSON FeatureCollection, Feature or geometry"),
    ({"type": "FeatureCollection"}, "land mask has no 'features' list"),
    ({"type": "FeatureCollection", "features": [{"geometry": POINT}, "Point"]},
     "features[1] of the land mask is not a GeoJSON Feature (found a string)"),
    ({"type": "FeatureCollection", "features": [{"geometry": [56.1, 24.6]}]},
     "the geometry of features[0] of the land mask is not a GeoJSON object (found an array)"),
    ({"type": "Feature", "geometry": "POINT (56.1 24.6)"},
     "the geometry of the land mask is not a GeoJSON object (found a string)"),
])
def test_read_geometries_refuses_what_holds_no_geometry_objects(tmp_path: Path, doc: Any,
                                                                says: str) -> None:
    path = tmp_path / "land.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(JSONReadError) as caught:
        read_geometries(path, "land mask")
    assert _one_line_naming(caught.value, path, "land mask") == says


@pytest.mark.parametrize(("value", "says"), [
    (math.nan, "metrics.per_class[1].iou is nan"),
    (math.inf, "metrics.per_class[1].iou is inf"),
    (-math.inf, "metrics.per_class[1].iou is -inf"),
    (os.fsdecode(b"slick_\xff.png"), "metrics.per_class[1].iou holds text that is not valid"),
])
def test_write_json_refuses_what_json_cannot_hold(tmp_path: Path, value: object,
                                                  says: str) -> None:
    target = tmp_path / "metrics.json"
    data = {"metrics": {"per_class": [{"iou": 0.5}, {"iou": value}]}}
    with pytest.raises(JSONValueError, match=re.escape(f"{target}: {says}")):
        write_json(target, data, indent=2)
    assert list(tmp_path.iterdir()) == []


def test_json_text_writes_null_and_sorted_keys() -> None:
    assert json_text({"b": None, "a": [1.5, "é"]}, sort_keys=True) == '{"a":[1.5,"é"],"b":null}'
