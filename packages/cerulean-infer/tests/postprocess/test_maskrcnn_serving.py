"""The service's Mask R-CNN path: per-tile polygons, per-tileset stitching."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, box

from cerulean_infer import PRESETS, InstancePrediction, Slick
from cerulean_infer.postprocess import serving_tile_slicks, serving_tileset_slicks

CLASSES = ("background", "infra_slick", "natural_seep", "vessel")
RES = 0.000687
TILE_TRANSFORM = Affine(RES, 0.0, -60.0, 0.0, -RES, -20.0)
PRESET = PRESETS["maskrcnn-serving"]
GEOD = Geod(ellps="WGS84")


def instance(rows: slice, cols: slice, score: float = 0.8, label: int = 1,
             value: float = 0.9) -> InstancePrediction:
    mask = np.zeros((32, 32), np.float32)
    mask[rows, cols] = value
    return InstancePrediction(label=label, score=score, box=(0, 0, 32, 32), mask=mask)


def test_tile_thresholds_are_strict() -> None:
    at_box_floor = instance(slice(0, 4), slice(0, 4), score=0.3)
    at_mask_floor = instance(slice(10, 14), slice(0, 4), value=0.5)
    passing = instance(slice(20, 24), slice(0, 4), score=0.31, value=0.51)
    (only,) = serving_tile_slicks([at_box_floor, at_mask_floor, passing], TILE_TRANSFORM,
                                  CLASSES, PRESET)
    assert only.machine_confidence == only.mean_conf == only.max_conf == pytest.approx(0.31)
    assert only.geometry.area == pytest.approx(16 * RES * RES)


def test_tile_polygons_at_mask_above_poly_thresh_eight_connected() -> None:
    mask = np.zeros((32, 32), np.float32)
    mask[5, 5] = mask[6, 6] = mask[7, 7] = 0.9      # a diagonal: one 8-connected polygon
    mask[20:22, 20:22] = 0.1                        # at 0.1, not above it: outside
    mask[25:27, 25:27] = 0.11
    detection = InstancePrediction(label=3, score=0.9, box=(0, 0, 32, 32), mask=mask)
    (tile_slick,) = serving_tile_slicks([detection], TILE_TRANSFORM, CLASSES, PRESET)
    assert tile_slick.class_name == "vessel"
    assert len(tile_slick.geometry.geoms) == 2
    assert tile_slick.geometry.area == pytest.approx(7 * RES * RES)


def test_tile_dice_nms_follows_model_order() -> None:
    first = instance(slice(0, 8), slice(0, 8), score=0.5)
    second = instance(slice(0, 8), slice(1, 8), score=0.9)     # higher score, listed later
    (kept,) = serving_tile_slicks([first, second], TILE_TRANSFORM, CLASSES, PRESET)
    assert kept.machine_confidence == pytest.approx(0.5)


def square(lon: float, lat: float, score: float, cls: int = 1, size_m: float = 600.0) -> Slick:
    east, _, _ = GEOD.fwd(lon, lat, 90.0, size_m)
    _, north, _ = GEOD.fwd(lon, lat, 0.0, size_m)
    return Slick(geometry=MultiPolygon([box(lon, lat, east, north)]), inf_idx=cls,
                 class_name=CLASSES[cls], machine_confidence=score, mean_conf=score,
                 median_conf=score, max_conf=score)


def pair(gap_m: float, cls: int = 1) -> list[Slick]:
    first = square(-60.0, -20.0, 0.6)
    start, _, _ = GEOD.fwd(first.geometry.bounds[2], -20.0, 90.0, gap_m)
    return [first, square(start, -20.0, 0.9, cls=cls)]


@pytest.mark.parametrize(("gap_m", "features", "parts"),
                         [(900.0, 1, 1), (1100.0, 1, 2), (1900.0, 1, 2), (2100.0, 2, 1)])
def test_tileset_joins_within_twice_the_buffer_and_closes_500_m(
        gap_m: float, features: int, parts: int) -> None:
    stitched = serving_tileset_slicks(pair(gap_m), PRESET)
    assert len(stitched) == features
    assert len(stitched[0].geometry.geoms) == parts
    if features == 1:
        joined = stitched[0]
        assert joined.machine_confidence == joined.median_conf == pytest.approx(0.75)
        assert joined.mean_conf == pytest.approx(0.75)
        assert joined.max_conf == pytest.approx(0.9)


def test_tileset_groups_one_class_and_nms_goes_across_classes() -> None:
    assert len(serving_tileset_slicks(pair(900.0, cls=2), PRESET)) == 2
    a = square(-60.0, -20.0, 0.6, cls=1)
    b = square(-60.0, -20.0, 0.9, cls=2)                       # same place, other class
    (kept,) = serving_tileset_slicks([a, b], PRESET)
    assert kept.class_name == "natural_seep"
    assert serving_tileset_slicks([], PRESET) == []
