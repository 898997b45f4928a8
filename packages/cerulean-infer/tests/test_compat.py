"""The fallbacks for library features newer than the floors give what the features give."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import shapely
import torch
from shapely.geometry import MultiPolygon, Point, Polygon, box

from cerulean_infer.compat import orient_polygons, orient_polygons_fallback
from cerulean_infer.weights import load_state_file

_CW_SQUARE = [(0, 0), (0, 1), (1, 1), (1, 0)]
_CCW_SQUARE = [(2, 0), (3, 0), (3, 1), (2, 1)]
_HOLE_CCW = [(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4)]
GEOMETRIES = [
    Polygon(_CW_SQUARE),
    Polygon(_CW_SQUARE, [_HOLE_CCW]),
    Polygon(list(reversed(_CW_SQUARE)), [list(reversed(_HOLE_CCW))]),
    MultiPolygon([Polygon(_CW_SQUARE, [_HOLE_CCW]), Polygon(_CCW_SQUARE)]),
    box(179.997, 0.0, 180.003, 0.006).difference(box(179.999, 0.002, 180.001, 0.004)),
    MultiPolygon(),
    Point(1, 2),
]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: g.geom_type)
def test_fallback_orients_as_shapely_orient_polygons(geometry: shapely.Geometry) -> None:
    modern = getattr(shapely, "orient_polygons", None)
    if modern is None:
        pytest.skip("this shapely has no orient_polygons (the fallback is what runs)")
    expected = modern(geometry)
    got = orient_polygons_fallback(geometry)
    assert got.geom_type == expected.geom_type
    # The same rings with the same starts, not merely equal shapes.
    assert got.wkt == expected.wkt


@pytest.mark.parametrize("geometry", GEOMETRIES[:5], ids=lambda g: g.geom_type)
def test_exteriors_counter_clockwise_holes_clockwise(geometry: shapely.Geometry) -> None:
    for oriented in (orient_polygons(geometry), orient_polygons_fallback(geometry)):
        for polygon in getattr(oriented, "geoms", [oriented]):
            assert polygon.exterior.is_ccw
            assert all(not ring.is_ccw for ring in polygon.interiors)
        assert oriented.equals(geometry)


def test_state_dict_loads_with_or_without_mmap(tmp_path: Path) -> None:
    state = torch.nn.Conv2d(3, 4, 3).state_dict()
    torch.save(state, tmp_path / "weights.pt")
    with warnings.catch_warnings():
        # No warning reaches a command's stderr (torch 2.0 warns about TypedStorage).
        warnings.simplefilter("error")
        loaded = load_state_file(tmp_path / "weights.pt", mmap=True)
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value)
