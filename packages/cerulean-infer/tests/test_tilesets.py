"""Tilesets: the service's offset tiles, on our lattice."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from cerulean_infer import SceneError, service_tilesets
from cerulean_infer.tilesets import model_lattice, plan_tiles, tileset_offsets

ZOOM = 9
SIZE = 512


def _service_bounds(bounds: tuple[float, float, float, float], offsets: tuple[float, ...]
                    ) -> list[list[tuple[float, float, float, float]]]:
    """Each tileset's tile bounds as the service computes them (morecantile)."""
    return [[t.bounds for t in tiles] for tiles in service_tilesets(bounds, ZOOM, offsets)]


def test_offset_tiles_are_the_services() -> None:
    bounds = (55.1, 24.2, 57.9, 26.05)
    footprint = box(*bounds)
    lattice = model_lattice(ZOOM, SIZE)
    offsets = tileset_offsets(3, serving=True)
    assert offsets == (0.0, 0.33, 0.66)
    plan = plan_tiles(lattice, SIZE, footprint, offsets)
    for k, service in enumerate(_service_bounds(bounds, offsets)):
        expected = sorted(b for b in service if box(*b).intersects(footprint))
        ours = sorted(lattice.bounds(t.window) for t in plan.tileset(k))
        assert len(ours) == len(expected)
        # Shifts snap to whole lattice pixels: within 0.08 px of the service's.
        np.testing.assert_allclose(ours, expected, atol=0.1 * lattice.res, rtol=0)
    assert plan.skipped == sum(len(s) for s in _service_bounds(bounds, offsets)) - len(
        plan.tiles)


def test_footprint_not_bounding_box() -> None:
    lattice = model_lattice(ZOOM, SIZE)
    diamond = box(55.0, 24.0, 58.0, 27.0).convex_hull.buffer(0)
    rotated = type(diamond)([(56.5, 24.0), (58.0, 25.5), (56.5, 27.0), (55.0, 25.5)])
    full = plan_tiles(lattice, SIZE, diamond, (0.0,))
    swath = plan_tiles(lattice, SIZE, rotated, (0.0,))
    assert len(swath.tiles) < len(full.tiles)
    assert all(box(*lattice.bounds(t.window)).intersects(rotated) for t in swath.tiles)


def test_tileset_counts() -> None:
    assert tileset_offsets(1) == (0.0,)
    assert tileset_offsets(4) == (0.0, 0.25, 0.5, 0.75)
    with pytest.raises(SceneError):
        tileset_offsets(0)
    with pytest.raises(SceneError, match="at most 3"):
        tileset_offsets(4, serving=True)


def test_service_bounds_are_exact_and_base_tiles_follow_given_bounds() -> None:
    """With the tiler's bounds, the plan's tiles are the service's, at its exact bounds
    (the lattice windows are within half a pixel of them)."""
    bounds = (55.1, 24.2, 57.9, 26.05)
    lattice = model_lattice(ZOOM, SIZE)
    offsets = tileset_offsets(3, serving=True)
    swath = box(55.5, 24.5, 57.5, 25.8)  # the data: smaller than the tiler's bounds
    plan = plan_tiles(lattice, SIZE, swath, offsets, bounds=bounds, exact=True)
    for k, service in enumerate(_service_bounds(bounds, offsets)):
        expected = sorted(b for b in service if box(*b).intersects(swath))
        exact = sorted(plan.service_bounds(t) for t in plan.tileset(k))
        np.testing.assert_allclose(exact, expected, atol=1e-9, rtol=0)
        for tile in plan.tileset(k):
            transform = plan.transform(tile.window, k)
            assert (transform.c, transform.f) == pytest.approx(
                (plan.service_bounds(tile)[0], plan.service_bounds(tile)[3]), abs=1e-12)
            np.testing.assert_allclose(lattice.bounds(tile.window), plan.service_bounds(tile),
                                       atol=0.5 * lattice.res, rtol=0)
