"""Our Mask R-CNN path: per-tile filters, merging by mask overlap, joining fragments."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, box

from cerulean_infer import PRESETS, InstancePrediction, PlacedInstance, Slick
from cerulean_infer.postprocess import join_fragments, merge_instances, tile_instances

CLASSES = ("background", "infra_slick", "natural_seep", "vessel")
RES = 0.000687
LATTICE = Affine(RES, 0.0, 50.0, 0.0, -RES, 10.0)
PRESET = PRESETS["maskrcnn-serving"]
TILE = 64


def instance(rows: slice, cols: slice, score: float = 0.8, label: int = 3,
             value: float = 0.9) -> InstancePrediction:
    mask = np.zeros((TILE, TILE), np.float32)
    mask[rows, cols] = value
    return InstancePrediction(label=label, score=score, box=(0, 0, TILE, TILE), mask=mask)


def slick_on_tile(row: int, col: int, tileset: int, r0: int, r1: int, c0: int, c1: int,
                  **kwargs: float) -> PlacedInstance:
    """The part of a lattice rectangle [r0, r1) × [c0, c1) that a tile at (row, col) sees."""
    rows = slice(max(r0 - row, 0), min(r1 - row, TILE))
    cols = slice(max(c0 - col, 0), min(c1 - col, TILE))
    return PlacedInstance(instance(rows, cols, **kwargs), row=row, col=col, tileset=tileset)


def test_tile_instances_filters_and_suppresses() -> None:
    strong = instance(slice(0, 10), slice(0, 10), score=0.9)
    twin = instance(slice(1, 10), slice(0, 10), score=0.85)           # Dice > 0.4 with strong
    weak_box = instance(slice(20, 30), slice(0, 10), score=0.2)
    faint = instance(slice(40, 50), slice(0, 10), score=0.7, value=0.45)
    at_floor = instance(slice(40, 50), slice(20, 30), score=0.3, value=0.5)  # ≥ both floors
    other = instance(slice(1, 10), slice(0, 10), score=0.6, label=1)
    kept = tile_instances([at_floor, twin, weak_box, strong, faint, other], PRESET)
    assert kept == [strong, other, at_floor]


def test_long_slick_across_two_tiles_and_two_tilesets_is_one_polygon() -> None:
    r0, r1, c0, c1 = 30, 33, 10, 110           # 100 px long, 3 px wide
    placed = [slick_on_tile(0, col, 0, r0, r1, c0, c1) for col in (0, 64)]
    placed += [slick_on_tile(0, col, 1, r0, r1, c0, c1, score=0.7) for col in (-32, 32, 96)]
    no_join = PRESET.override(join_distance_m=0.0)
    for preset in (no_join, PRESET):
        (merged,) = merge_instances(placed, LATTICE, CLASSES, preset)
        assert len(merged.geometry.geoms) == 1
        assert merged.geometry.area == pytest.approx(300 * RES * RES)
        assert merged.geometry.bounds == pytest.approx(
            (50 + c0 * RES, 10 - r1 * RES, 50 + c1 * RES, 10 - r0 * RES))
        assert merged.class_name == "vessel"
        # every pixel is seen by one tile per tileset: c = (0.8²·0.9 + 0.7²·0.9) / 1.5
        assert merged.machine_confidence == pytest.approx((0.64 + 0.49) * 0.9 / 1.5, rel=1e-6)


def test_tileset_halves_alone_stay_apart_without_joining() -> None:
    halves = [slick_on_tile(0, col, 0, 30, 33, 10, 110) for col in (0, 64)]
    assert len(merge_instances(halves, LATTICE, CLASSES, PRESET.override(join_distance_m=0.0))) == 2
    assert len(merge_instances(halves, LATTICE, CLASSES, PRESET)) == 1   # 0 m apart: joined


def test_overlap_merges_one_class_only_and_nms_settles_classes() -> None:
    vessel = slick_on_tile(0, 0, 0, 10, 20, 10, 40, score=0.9)
    seep = slick_on_tile(0, 0, 1, 10, 20, 12, 40, score=0.6, label=2)
    (kept,) = merge_instances([vessel, seep], LATTICE, CLASSES, PRESET)
    assert kept.class_name == "vessel"
    small = slick_on_tile(0, 0, 0, 10, 13, 10, 14, score=0.9)     # 12 px, 2/3 inside the next
    shifted = slick_on_tile(0, 0, 1, 11, 20, 10, 40, score=0.9)
    loose = PRESET.override(join_distance_m=0.0, poly_nms_thresh=1.0)
    (merged,) = merge_instances([small, shifted], LATTICE, CLASSES, loose)
    assert merged.geometry.area == pytest.approx(274 * RES * RES)     # the union
    strict = loose.override(merge_overlap_thresh=0.7)
    # not merged; the small one is then more than half inside the other and goes in NMS
    (survivor,) = merge_instances([small, shifted], LATTICE, CLASSES, strict)
    assert survivor.geometry.area == pytest.approx(270 * RES * RES)
    apart = slick_on_tile(0, 0, 1, 40, 50, 10, 40, score=0.9)
    assert len(merge_instances([small, apart], LATTICE, CLASSES, strict)) == 2
    assert merge_instances([], LATTICE, CLASSES, PRESET) == []


def square_at(lon: float, size_m: float = 500.0, cls: int = 1) -> Slick:
    geod = Geod(ellps="WGS84")
    east, _, _ = geod.fwd(lon, 0.0, 90.0, size_m)
    _, north, _ = geod.fwd(lon, 0.0, 0.0, size_m)
    return Slick(geometry=MultiPolygon([box(lon, 0.0, east, north)]), inf_idx=cls,
                 class_name=CLASSES[cls], machine_confidence=0.5, mean_conf=0.5,
                 median_conf=0.5, max_conf=0.9)


def square_after(first: Slick, gap_m: float, cls: int = 1) -> Slick:
    east = first.geometry.bounds[2]
    start, _, _ = Geod(ellps="WGS84").fwd(east, 0.0, 90.0, gap_m)
    return square_at(start, cls=cls)


def test_join_fragments_at_900_m_not_1100_m() -> None:
    a = square_at(10.0)
    near = square_after(a, 900.0)
    far = square_after(a, 1100.0)
    (joined,) = join_fragments([a, near], 1000.0)
    assert len(joined.geometry.geoms) == 2
    assert joined.max_conf == 0.9 and joined.machine_confidence == 0.5
    assert join_fragments([a, far], 1000.0) == [a, far]
    other_class = square_after(a, 900.0, cls=2)
    assert len(join_fragments([a, other_class], 1000.0)) == 2
    chain = [a, near, square_after(near, 900.0)]             # transitive: one slick
    assert len(join_fragments(chain, 1000.0)) == 1
