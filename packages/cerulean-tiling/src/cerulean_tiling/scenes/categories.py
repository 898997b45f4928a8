"""Per-pixel categories of a layer PNG, decoded strip by strip.

Each visible pixel (alpha > threshold) of a layer falls into a category:

====  =====================================================================
0–5   within ``tolerance`` of the colour of class 0–5 (0 is background cyan)
6     within ``tolerance`` of white (class 6, ambiguous)
7     gray (R = G = B) and not black, not near white
8     black
9     any other colour
====  =====================================================================

and invisible pixels are -1. :func:`scan_layer` decodes the PNG in strips of rows (GDAL,
for 8-bit gray, palette, RGB and RGBA) and keeps only one category byte per pixel plus
per-category pixel counts and bounding boxes; palette and gray PNGs go through a
256-entry lookup table. Rare modes (gray+alpha, 16-bit, RGB with a transparent colour)
are decoded whole by Pillow and categorised the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit
from PIL import Image

from cerulean_tiling import classes
from cerulean_tiling.arrays import UInt8Array
from cerulean_tiling.scenes.png import gdal_layout, png_strips, read_png

N_CATEGORIES = 10
WHITE, GRAY, BLACK, OTHER = 6, 7, 8, 9
COLOURS = np.array([classes.by_id(i).colour for i in range(6)], dtype=np.int32)
_INDEXED_MODES = ("P", "L")
_BAND_MODES = {"RGBA": 4, "RGB": 3}


@dataclass(frozen=True)
class CategoryScan:
    """A layer's categories (int8, -1 = invisible), counts and exclusive bounding boxes."""

    categories: np.ndarray
    counts: np.ndarray  # (N_CATEGORIES,)
    boxes: np.ndarray  # (N_CATEGORIES, 4): row0, col0, row1, col1; row1 == 0 when empty


def scan_layer(path: Path, header: Image.Image, alpha_threshold: int,
               tolerance: int) -> CategoryScan:
    """Categorise every pixel of the PNG at ``path`` (``header``: its parsed Pillow header).

    Raises:
        SceneReadError: truncated or corrupt pixel data.
    """
    width, height = header.size
    categories = np.empty((height, width), dtype=np.int8)
    counts = np.zeros(N_CATEGORIES, dtype=np.int64)
    boxes = np.empty((N_CATEGORIES, 4), dtype=np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    mode = header.mode
    # GDAL cannot express RGB's single transparent colour: Pillow decodes those.
    rgb_key = mode == "RGB" and "transparency" in header.info
    layout = None if rgb_key else gdal_layout(path)
    if mode in _INDEXED_MODES and layout == (1, "uint8"):
        lut = lookup_table(header, alpha_threshold, tolerance)
        for row, strip in png_strips(path):
            _scan_indexed(strip[0], row, lut, categories, counts, boxes)
    elif mode in _BAND_MODES and layout == (_BAND_MODES[mode], "uint8"):
        for row, strip in png_strips(path):
            _scan_bands(strip, row, alpha_threshold, COLOURS, tolerance, categories, counts,
                        boxes)
    else:
        pixels, table = _decode_whole(read_png(path), alpha_threshold, tolerance)
        if table is None:
            _scan_bands(np.moveaxis(pixels, -1, 0), 0, alpha_threshold, COLOURS, tolerance,
                        categories, counts, boxes)
        else:
            _scan_indexed(pixels, 0, table, categories, counts, boxes)
    boxes[:, 2:] += 1
    return CategoryScan(categories, counts, boxes)


def colours_found(path: Path, alpha_threshold: int) -> str:
    """The most frequent visible colours of a layer, for an error message (decodes it)."""
    image = read_png(path)
    rgba = np.asarray(image.convert("RGBA")).reshape(-1, 4)
    rgba = rgba[rgba[:, 3] > alpha_threshold]
    packed = (rgba[:, 0].astype(np.uint32) << 16) | (rgba[:, 1].astype(np.uint32) << 8) \
        | rgba[:, 2]
    values, n = np.unique(packed, return_counts=True)
    order = np.argsort(-n)[:5]
    return ", ".join(
        f"({v >> 16}, {(v >> 8) & 255}, {v & 255}) x{c}"
        for v, c in zip(values[order], n[order], strict=True)
    )


def lookup_table(header: Image.Image, alpha_threshold: int, tolerance: int) -> np.ndarray:
    """Category of each of the 256 values of a palette or 8-bit gray PNG."""
    rgba = np.zeros((256, 4), dtype=np.int32)
    rgba[:, 3] = 255
    transparency = header.info.get("transparency")
    if header.mode == "P":
        palette = np.asarray(header.getpalette("RGB") or [], dtype=np.int32).reshape(-1, 3)
        rgba[: len(palette), :3] = palette[:256]
        if isinstance(transparency, bytes):
            alphas = np.frombuffer(transparency, dtype=np.uint8)[:256]
            rgba[: len(alphas), 3] = alphas
    else:
        rgba[:, :3] = np.arange(256)[:, None]
    if isinstance(transparency, int):
        rgba[transparency, 3] = 0
    return categorise_lut(rgba, alpha_threshold, tolerance)


def categorise_lut(rgba: np.ndarray, alpha_threshold: int, tolerance: int) -> np.ndarray:
    """Category (or -1 when invisible) of each RGBA row of ``rgba`` (shape (n, 4))."""
    out = np.empty(len(rgba), dtype=np.int8)
    for i, (r, g, b, a) in enumerate(rgba.astype(np.int32)):
        out[i] = _category(r, g, b, a, alpha_threshold, COLOURS, tolerance)
    return out


def _decode_whole(
    image: Image.Image, alpha_threshold: int, tolerance: int
) -> tuple[UInt8Array, np.ndarray | None]:
    """Pillow's full decode: an (H, W, C) array, or 8-bit values plus a lookup table."""
    mode = image.mode
    if mode == "P":
        return np.asarray(image), lookup_table(image, alpha_threshold, tolerance)
    if mode in ("I", "I;16", "I;16B", "I;16L"):
        image = image.point(lambda v: v / 256).convert("L")
        mode = "L"
    if mode == "1":
        image = image.convert("L")
        mode = "L"
    if mode == "L":
        return np.asarray(image), lookup_table(image, alpha_threshold, tolerance)
    if mode == "RGBA":
        return np.asarray(image), None
    if mode == "RGB" and "transparency" not in image.info:
        return np.asarray(image), None
    return np.asarray(image.convert("RGBA")), None


@njit(cache=True, nogil=True)
def _category(r, g, b, a, alpha_threshold, colours, tolerance):  # type: ignore[no-untyped-def]
    if a <= alpha_threshold:
        return -1
    for k in range(colours.shape[0]):
        if (abs(r - colours[k, 0]) <= tolerance and abs(g - colours[k, 1]) <= tolerance
                and abs(b - colours[k, 2]) <= tolerance):
            return k
    if r >= 255 - tolerance and g >= 255 - tolerance and b >= 255 - tolerance:
        return 6
    if r == g and g == b:
        return 8 if r == 0 else 7
    return 9


@njit(cache=True, nogil=True)
def _tally(k, i, j, counts, boxes):  # type: ignore[no-untyped-def]
    """Count pixel (i, j) in category k and grow that category's bounding box."""
    counts[k] += 1
    boxes[k, 0] = min(boxes[k, 0], i)
    boxes[k, 1] = min(boxes[k, 1], j)
    boxes[k, 2] = max(boxes[k, 2], i)
    boxes[k, 3] = max(boxes[k, 3], j)


@njit(cache=True, nogil=True)
def _scan_bands(bands, row0, alpha_threshold, colours, tolerance, categories, counts, boxes):  # type: ignore[no-untyped-def]
    channels, height, width = bands.shape
    for i in range(height):
        for j in range(width):
            a = bands[3, i, j] if channels == 4 else 255
            k = _category(np.int32(bands[0, i, j]), np.int32(bands[1, i, j]),
                          np.int32(bands[2, i, j]), np.int32(a), alpha_threshold, colours,
                          tolerance)
            categories[row0 + i, j] = k
            if k >= 0:
                _tally(k, row0 + i, j, counts, boxes)


@njit(cache=True, nogil=True)
def _scan_indexed(values, row0, lut, categories, counts, boxes):  # type: ignore[no-untyped-def]
    height, width = values.shape
    for i in range(height):
        for j in range(width):
            k = lut[values[i, j]]
            categories[row0 + i, j] = k
            if k >= 0:
                _tally(k, row0 + i, j, counts, boxes)
