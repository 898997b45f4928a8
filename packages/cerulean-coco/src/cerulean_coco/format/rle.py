"""COCO run-length encoding of instance masks (pycocotools' compressed string form).

A mask is read in column-major order as alternating runs of 0s and 1s, starting with
0s; the run lengths are packed into an ASCII string, each length as 5-bit groups
(least significant first, ``0x20`` = more groups follow, ``0x10`` in the last group =
negative) offset by 48, and every length from the fourth on stored as the difference
to the length two places earlier. pycocotools decodes without bounds checks, so
:func:`check_counts` verifies a string before anything decodes it.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from pycocotools import mask as mask_utils

from cerulean_coco.errors import RecordFormatError
from cerulean_coco.types import RLE, Bbox
from cerulean_tiling.arrays import BoolArray


def encode(mask: BoolArray) -> RLE:
    """Encode a 2-D boolean mask as a COCO RLE whose counts are a ``str``."""
    if mask.ndim != 2:
        raise RecordFormatError(f"mask must be 2-D, got shape {mask.shape}")
    encoded = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    return {"size": [int(mask.shape[0]), int(mask.shape[1])],
            "counts": encoded["counts"].decode("ascii")}


def decode(rle: RLE) -> BoolArray:
    """Decode a COCO RLE into a (height, width) boolean mask.

    Raises:
        RecordFormatError: the counts string is malformed or does not cover size exactly.
    """
    problem = check_counts(rle)
    if problem:
        raise RecordFormatError(problem)
    raw = mask_utils.decode(_c_rle(rle))
    return np.ascontiguousarray(raw, dtype=bool)


def area(rle: RLE) -> int:
    """Number of foreground pixels."""
    return int(mask_utils.area(_c_rle(rle)))


def bbox(rle: RLE) -> Bbox:
    """Tight COCO box ``[x, y, w, h]`` of the foreground (zeros when empty)."""
    x, y, w, h = (float(v) for v in mask_utils.toBbox(_c_rle(rle)))
    return (x, y, w, h)


def check_counts(rle: RLE) -> str | None:
    """Say what is wrong with an RLE, or return None when it decodes at its size.

    Checks the types, that every character is a valid code, that no run is negative,
    and that the runs add up to exactly height × width.
    """
    size = rle.get("size")
    counts = rle.get("counts")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and v >= 0 for v in size)):
        return f"RLE size {size!r} is not [height, width]"
    if not isinstance(counts, str):
        return f"RLE counts is {type(counts).__name__}, not a string"
    try:
        data = np.frombuffer(counts.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return "RLE counts holds non-ASCII characters"
    total, status = counts_total(data)
    if status == _BAD_CHAR:
        return "RLE counts holds a character outside the code range"
    if status == _TRUNCATED:
        return "RLE counts ends inside a run length"
    if status == _NEGATIVE:
        return "RLE counts decodes to a negative run length"
    expected = size[0] * size[1]
    if total != expected:
        return f"RLE runs cover {total} pixels, size {size[0]}x{size[1]} has {expected}"
    return None


_OK, _BAD_CHAR, _TRUNCATED, _NEGATIVE = 0, 1, 2, 3


@njit(cache=True)
def counts_total(data: np.ndarray) -> tuple[int, int]:  # pragma: no cover - numba
    """Sum the run lengths of a compressed counts string given as ASCII codes.

    Returns:
        (sum of run lengths, status) where status is 0 ok, 1 bad character,
        2 truncated, 3 negative run.
    """
    n = data.shape[0]
    runs = np.zeros(n, dtype=np.int64)
    m = 0
    p = 0
    total = 0
    while p < n:
        x = 0
        k = 0
        more = True
        while more:
            if p >= n:
                return total, 2
            c = int(data[p]) - 48
            if c < 0 or c > 63:
                return total, 1
            x |= (c & 0x1F) << (5 * k)
            more = (c & 0x20) != 0
            p += 1
            k += 1
            if not more and (c & 0x10) != 0:
                x |= -1 << (5 * k)
        if m > 2:
            x += int(runs[m - 2])
        if x < 0:
            return total, 3
        runs[m] = x
        m += 1
        total += x
    return total, 0


def _c_rle(rle: RLE) -> dict[str, object]:
    return {"size": rle["size"], "counts": rle["counts"].encode("ascii")}


__all__ = ["area", "bbox", "check_counts", "counts_total", "decode", "encode"]
