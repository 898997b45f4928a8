"""Predictions GeoJSON: RFC 7946 shape, areas, the antimeridian, reading back, bad files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, shape

from cerulean_infer import (
    CeruleanInferError,
    Slick,
    feature_collection,
    read_geojson,
    write_geojson,
)
from cerulean_infer.errors import OutputError, PredictionsError
from cerulean_infer.postprocess import area_km2, split_antimeridian


def slick(geometry: MultiPolygon, **extra: object) -> Slick:
    return Slick(geometry=geometry, inf_idx=2, class_name="natural_seep", machine_confidence=0.7,
                 mean_conf=0.65, median_conf=0.7, max_conf=0.99, extra=dict(extra))


def cell_area_km2(lat0: float, lat1: float, dlon: float) -> float:
    """Exact area of a lat/lon cell on the WGS 84 ellipsoid (authalic latitude formula)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    b2 = (a * (1 - f)) ** 2

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return math.radians(dlon) * b2 * (q(lat1) - q(lat0)) / 2 / 1e6


def test_area_of_a_one_degree_cell_at_the_equator() -> None:
    exact = cell_area_km2(0.0, 1.0, 1.0)
    assert exact == pytest.approx(12308.46, abs=0.01)
    assert area_km2(box(0, 0, 1, 1)) == pytest.approx(exact, rel=1e-4)
    sphere = math.radians(1.0) * math.sin(math.radians(1.0)) * 6371.0088 ** 2
    assert abs(area_km2(box(0, 0, 1, 1)) - sphere) > 40        # the sphere is ~55 km² off
    with_hole = box(0, 0, 1, 1).difference(box(0.25, 0.25, 0.75, 0.75))
    hole = area_km2(box(0.25, 0.25, 0.75, 0.75))
    assert area_km2(with_hole) == pytest.approx(area_km2(box(0, 0, 1, 1)) - hole)


def test_winding_is_right_handed_and_properties_complete() -> None:
    clockwise = Polygon([(10, 0), (10, 1), (11, 1), (11, 0)],
                        holes=[[(10.2, 0.2), (10.8, 0.2), (10.8, 0.8), (10.2, 0.8)]])
    assert not clockwise.exterior.is_ccw and clockwise.interiors[0].is_ccw
    collection = feature_collection([slick(MultiPolygon([clockwise]), track="A")], "S1A_X", "m1")
    assert collection["type"] == "FeatureCollection"
    (feat,) = collection["features"]
    assert feat["geometry"]["type"] == "MultiPolygon"
    written = shape(feat["geometry"]).geoms[0]
    assert written.exterior.is_ccw and not written.interiors[0].is_ccw
    props = feat["properties"]
    assert props["class"] == "natural_seep" and props["inf_idx"] == 2
    assert (props["machine_confidence"], props["mean_conf"], props["median_conf"],
            props["max_conf"]) == (0.7, 0.65, 0.7, 0.99)
    assert props["area_km2"] == pytest.approx(area_km2(clockwise))
    assert (props["scene_id"], props["model"], props["track"]) == ("S1A_X", "m1", "A")
    json.dumps(collection, allow_nan=False)


@pytest.mark.parametrize("outline", [
    box(179.5, 10, 180.5, 11),                                         # lattice past 180°
    Polygon([(179.5, 10), (-179.5, 10), (-179.5, 11), (179.5, 11)]),   # jump at ±180°
    box(-180.5, 10, -179.5, 11),
])
def test_antimeridian_split(outline: Polygon) -> None:
    pieces = split_antimeridian(outline)
    assert len(pieces.geoms) == 2
    for piece in pieces.geoms:
        x0, _, x1, _ = piece.bounds
        assert x0 >= -180 and x1 <= 180 and x1 - x0 == pytest.approx(0.5)
    assert area_km2(pieces) == pytest.approx(cell_area_km2(10, 11, 1), rel=1e-4)
    (feat,) = feature_collection([slick(MultiPolygon([outline]))], "s", "m")["features"]
    assert len(feat["geometry"]["coordinates"]) == 2
    assert feat["properties"]["area_km2"] == pytest.approx(cell_area_km2(10, 11, 1), rel=1e-4)


def test_geometry_inside_the_world_is_unchanged() -> None:
    outline = MultiPolygon([box(170, 0, 179, 1), box(-179, 0, -178, 1)])   # 2 slicks, no jump
    assert shapely.equals(split_antimeridian(box(170, 0, 179, 1)), box(170, 0, 179, 1))
    assert len(split_antimeridian(outline).geoms) == 2


def test_round_trip(tmp_path: Path) -> None:
    slicks = [slick(MultiPolygon([box(1, 1, 2, 2), box(3, 3, 4, 4)]), track="A"),
              slick(MultiPolygon([box(5, 5, 6, 6).difference(box(5.4, 5.4, 5.6, 5.6))]))]
    path = tmp_path / "slicks.geojson"
    write_geojson(path, feature_collection(slicks, "S1A_Y", "model-b"))
    back = read_geojson(path)
    assert len(back) == 2
    for before, after in zip(slicks, back, strict=True):
        assert shapely.equals(before.geometry, after.geometry)
        assert (after.inf_idx, after.class_name) == (before.inf_idx, before.class_name)
        assert (after.machine_confidence, after.mean_conf, after.median_conf, after.max_conf) == (
            before.machine_confidence, before.mean_conf, before.median_conf, before.max_conf)
        assert after.extra["scene_id"] == "S1A_Y" and after.extra["model"] == "model-b"
    again = tmp_path / "again.geojson"
    write_geojson(again, feature_collection(back, "S1A_Y", "model-b"))
    assert again.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.geojson", "slicks.geojson"]


def _feature(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
            [[0, 0], [1, 0], [1, 1], [0, 0]]]},
        "properties": {"class": "vessel", "inf_idx": 3, "machine_confidence": 0.5},
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(("content", "message"), [
    (None, r"cannot read predictions file \(No such file"),
    ("{not json", "predictions file is not valid JSON"),
    (json.dumps({"type": "Feature"}), "predictions file is not a GeoJSON FeatureCollection"),
    (json.dumps({"type": "FeatureCollection", "features": {}}),
     "predictions file has no 'features' list"),
    (json.dumps({"type": "FeatureCollection", "features": [_feature(properties={
        "class": "vessel"})]}), "feature 0: missing properties inf_idx, machine_confidence"),
    (json.dumps({"type": "FeatureCollection", "features": [_feature(geometry={
        "type": "Point", "coordinates": [0, 0]})]}), "geometry is a Point"),
    (json.dumps({"type": "FeatureCollection", "features": [_feature(geometry={
        "type": "Polygon", "coordinates": "x"})]}), "bad geometry"),
    (json.dumps({"type": "FeatureCollection", "features": [_feature(), _feature(properties={
        "class": "vessel", "inf_idx": "3", "machine_confidence": 0.5})]}), "feature 1: bad"),
    (json.dumps({"type": "FeatureCollection", "features": [_feature(properties={
        "class": "vessel", "inf_idx": 3, "machine_confidence": "high"})]}), "bad property"),
])
def test_bad_files_are_one_line_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.geojson"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PredictionsError, match=message) as caught:
        read_geojson(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CeruleanInferError)


def test_missing_confidences_default_to_machine_confidence(tmp_path: Path) -> None:
    path = tmp_path / "service.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature()]}))
    (only,) = read_geojson(path)
    assert only.mean_conf == only.median_conf == only.max_conf == 0.5
    assert isinstance(only.geometry, MultiPolygon)


def test_unwritable_output_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write predictions"):
        write_geojson(blocker / "out.geojson", feature_collection([], "s", "m"))


def test_service_features_are_named_from_classes(tmp_path: Path) -> None:
    unnamed = _feature(properties={"inf_idx": 3, "machine_confidence": 0.5})
    path = tmp_path / "service.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [unnamed]}))
    with pytest.raises(PredictionsError, match="missing properties class"):
        read_geojson(path)
    (only,) = read_geojson(path, classes=("background", "infra", "seep", "vessel"))
    assert only.class_name == "vessel"
    with pytest.raises(PredictionsError, match="inf_idx 3 is not one of the 2 classes"):
        read_geojson(path, classes=("background", "infra"))
