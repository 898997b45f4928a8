"""Raster masks to lon/lat polygons."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.transform import Affine
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, box

from cerulean_infer.postprocess import as_multipolygon, mask_polygons, window_transform

TRANSFORM = Affine(0.01, 0.0, 20.0, 0.0, -0.01, 10.0)


def test_ring_keeps_its_hole_and_lands_in_lon_lat() -> None:
    mask = np.zeros((10, 10), bool)
    mask[2:8, 2:8] = True
    mask[4:6, 4:6] = False
    (polygon,) = mask_polygons(mask, TRANSFORM)
    assert polygon.bounds == pytest.approx((20.02, 9.92, 20.08, 9.98))
    assert len(polygon.interiors) == 1
    assert polygon.area == pytest.approx(32 * 0.01 ** 2)


def test_connectivity_and_empty() -> None:
    mask = np.eye(3, dtype=bool)
    assert len(mask_polygons(mask, TRANSFORM)) == 3
    assert len(mask_polygons(mask, TRANSFORM, connectivity=8)) == 1
    assert mask_polygons(np.zeros((3, 3), bool), TRANSFORM) == []


def test_simplify_is_off_by_default() -> None:
    rows, cols = np.mgrid[:40, :40]
    disc = (rows - 20) ** 2 + (cols - 20) ** 2 < 15 ** 2
    (exact,) = mask_polygons(disc, TRANSFORM)
    (coarse,) = mask_polygons(disc, TRANSFORM, simplify=0.02)
    assert exact.area == pytest.approx(disc.sum() * 0.01 ** 2)
    assert len(coarse.exterior.coords) < len(exact.exterior.coords)


def test_window_transform_places_a_window() -> None:
    local = window_transform(TRANSFORM, 5, 7)
    assert (local.c, local.f) == pytest.approx((20.07, 9.95))
    assert local[:6][:2] == TRANSFORM[:6][:2]


def test_as_multipolygon_drops_lines() -> None:
    mixed = GeometryCollection([box(0, 0, 1, 1), LineString([(2, 2), (3, 3)]),
                                MultiPolygon([box(5, 5, 6, 6)])])
    assert len(as_multipolygon(mixed).geoms) == 2
    assert len(as_multipolygon([box(0, 0, 1, 1)]).geoms) == 1
