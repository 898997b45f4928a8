"""The numba island kernels against NumPy references."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cerulean_infer.postprocess import hysteresis, label_regions, region_boxes


def reference_label(mask: np.ndarray[Any, Any], connectivity: int) -> np.ndarray[Any, Any]:
    """Connected components by min-label propagation, renumbered in raster order."""
    height, width = mask.shape
    big = height * width + 1
    ids = np.where(mask, np.arange(1, height * width + 1).reshape(mask.shape), big)
    steps = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if connectivity == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    while True:
        padded = np.pad(ids, 1, constant_values=big)
        best = ids.copy()
        for dr, dc in steps:
            best = np.minimum(best, padded[1 + dr:1 + dr + height, 1 + dc:1 + dc + width])
        best = np.where(mask, best, big)
        if (best == ids).all():
            break
        ids = best
    out = np.zeros(mask.shape, dtype=np.int32)
    roots = ids[mask]
    _, first = np.unique(roots, return_index=True)
    for number, root in enumerate(roots[np.sort(first)], start=1):
        out[ids == root] = number
    return out


@pytest.mark.parametrize("connectivity", [4, 8])
def test_label_matches_reference(connectivity: int) -> None:
    rng = np.random.default_rng(7)
    for density in (0.2, 0.45, 0.6):
        mask = rng.random((31, 47)) < density
        labels, count = label_regions(mask, connectivity)
        expected = reference_label(mask, connectivity)
        assert count == expected.max()
        np.testing.assert_array_equal(labels, expected)


def test_label_diagonal_only_joins_with_eight() -> None:
    mask = np.eye(5, dtype=bool)
    assert label_regions(mask, 4)[1] == 5
    assert label_regions(mask, 8)[1] == 1
    with pytest.raises(ValueError, match="connectivity"):
        label_regions(mask, 6)


def test_label_many_regions() -> None:
    checkerboard = np.indices((64, 64)).sum(axis=0) % 2 == 0     # 2048 single pixels
    labels, count = label_regions(checkerboard)
    assert count == 2048
    np.testing.assert_array_equal(labels[checkerboard], np.arange(1, 2049))
    assert label_regions(checkerboard, 8)[1] == 1


def test_label_matches_scipy() -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    mask = np.random.default_rng(3).random((64, 64)) < 0.5
    expected, count = ndimage.label(mask)
    labels, n = label_regions(mask)
    assert n == count
    np.testing.assert_array_equal(labels, expected)


def test_hysteresis_keeps_islands_reaching_high() -> None:
    values = np.zeros((20, 30), dtype=np.float32)
    values[2:6, 2:10] = 0.3
    values[3, 4] = 0.95            # island 1 reaches high: kept
    values[10:14, 2:10] = 0.6      # island 2 never reaches high: dropped
    values[10:14, 20:28] = 0.2
    values[12, 27] = 0.91          # island 3 kept
    islands = hysteresis(values, low=0.1, high=0.9)
    assert islands.kept == (1, 3)
    rows, cols = islands.window(3)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (10, 14, 20, 28)
    reference = reference_label(values >= 0.1, 4)
    np.testing.assert_array_equal(islands.labels, reference)
    for k in range(1, reference.max() + 1):
        reached = bool((values[reference == k] >= 0.9).any())
        assert (k in islands.kept) == reached


@pytest.mark.parametrize("connectivity", [4, 8])
def test_label_class_raster_splits_touching_classes(connectivity: int) -> None:
    rng = np.random.default_rng(11)
    raster = (rng.random((29, 41)) < 0.6) * rng.integers(1, 4, (29, 41))
    labels, count = label_regions(raster.astype(np.uint8), connectivity)
    # Each class alone labels like a mask; together their regions never merge.
    assert count == sum(label_regions(raster == value, connectivity)[1] for value in (1, 2, 3))
    for k in range(1, count + 1):
        assert len(np.unique(raster[labels == k])) == 1
    np.testing.assert_array_equal(labels > 0, raster > 0)
    with pytest.raises(ValueError, match="boolean or integer"):
        label_regions(raster.astype(np.float32))


def test_region_boxes_bound_each_region() -> None:
    raster = np.zeros((6, 8), dtype=np.uint8)
    raster[1:3, 2:5] = 1
    raster[4, 0] = 2
    raster[5, 7] = 1
    labels, count = label_regions(raster, 8)
    boxes = region_boxes(labels, count)
    assert boxes[1:].tolist() == [[1, 2, 3, 5], [4, 0, 5, 1], [5, 7, 6, 8]]
