from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from cerulean_coco.format import rle


def _reference_counts(counts: str) -> list[int]:
    """Plain-Python reading of the compressed counts format (what the kernel must match)."""
    runs: list[int] = []
    p = 0
    while p < len(counts):
        x, k, more = 0, 0, True
        while more:
            c = ord(counts[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def _random_masks(seed: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    masks = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        masks.append(rng.random((h, w)) < rng.random())
    masks.append(np.zeros((7, 9), bool))
    masks.append(np.ones((7, 9), bool))
    return masks


def test_encode_round_trips_and_matches_pycocotools() -> None:
    for mask in _random_masks(0, 60):
        encoded = rle.encode(mask)
        assert isinstance(encoded["counts"], str)
        assert encoded["size"] == list(mask.shape)
        np.testing.assert_array_equal(rle.decode(encoded), mask)
        assert rle.area(encoded) == int(mask.sum())
        ref = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert rle.bbox(encoded) == tuple(float(v) for v in mask_utils.toBbox(ref))


def test_counts_kernel_matches_reference() -> None:
    for mask in _random_masks(1, 60):
        counts = rle.encode(mask)["counts"]
        total, status = rle.counts_total(np.frombuffer(counts.encode(), np.uint8))
        assert status == 0
        runs = _reference_counts(counts)
        assert total == sum(runs) == mask.size


@pytest.mark.parametrize(
    ("counts", "size", "message"),
    [
        ("", [4, 4], "cover 0 pixels"),
        ("\x7f", [4, 4], "outside the code range"),
        ("0P", [4, 4], "ends inside a run"),
        ("1", [4, 4], "cover 1 pixels"),
    ],
)
def test_check_counts_names_the_problem(counts: str, size: list[int], message: str) -> None:
    problem = rle.check_counts({"size": size, "counts": counts})
    assert problem is not None and message in problem
    with pytest.raises(ValueError, match=message):
        rle.decode({"size": size, "counts": counts})


def test_check_counts_rejects_wrong_types() -> None:
    assert "not [height, width]" in str(rle.check_counts({"size": [4], "counts": "4"}))
    assert "not a string" in str(rle.check_counts({"size": [2, 2], "counts": [4]}))  # type: ignore[typeddict-item]


def test_check_counts_rejects_size_mismatch() -> None:
    encoded = rle.encode(np.ones((5, 5), bool))
    assert rle.check_counts(encoded) is None
    assert "cover 25 pixels" in str(rle.check_counts({"size": [5, 6], "counts": encoded["counts"]}))
