"""True slicks in map coordinates: geodesic areas, pieces put back together across tiles."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from cerulean_eval import Piece, area_km2, merge_pieces
from cerulean_eval.slicks import mask_polygons


def test_geodesic_area() -> None:
    # A 1°×1° cell on the equator is 12,308.8 km² on WGS84 (110.57 km × 111.32 km).
    assert area_km2(box(0, 0, 1, 1)) == pytest.approx(12308.8, rel=1e-4)
    assert area_km2(box(0, 60, 1, 61)) < 0.51 * area_km2(box(0, 0, 1, 1))


def test_slick_split_across_two_tiles_is_one_slick() -> None:
    # Two 10×10 tiles side by side, 0.01° pixels; one slick crosses their shared edge.
    left, right = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
    left[4:6, 6:10] = True
    right[4:6, 0:3] = True
    lb, rb = (0.0, 0.0, 0.1, 0.1), (0.1, 0.0, 0.2, 0.1)
    pieces = [Piece("S", 1, tuple(mask_polygons(left, lb))),
              Piece("S", 1, tuple(mask_polygons(right, rb)))]
    slicks = merge_pieces(pieces, grid_size=1e-4)
    assert len(slicks) == 1
    assert slicks[0].geometry.bounds == pytest.approx((0.06, 0.04, 0.13, 0.06))
    # The same pieces in two scenes, or of two classes, stay apart.
    assert len(merge_pieces([pieces[0], Piece("T", 1, pieces[1].polygons)], 1e-4)) == 2
    assert len(merge_pieces([pieces[0], Piece("S", 2, pieces[1].polygons)], 1e-4)) == 2
