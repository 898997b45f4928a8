"""Decoding Photopea layer PNGs into one instance mask each.

A layer is decoded as RGBA (palette and gray PNGs through a 256-entry lookup table, so
the per-pixel work stays one pass). Each visible pixel (alpha > threshold) falls into a
category:

====  =====================================================================
0–5   within ``tolerance`` of the colour of class 0–5 (0 is background cyan)
6     within ``tolerance`` of white (class 6, ambiguous)
7     gray (R = G = B) and not black, not near white
8     black
9     any other colour
====  =====================================================================

The layer's class is the class colour with most pixels, and its mask is the pixels of
that colour (anti-aliased edges keep the brush colour with partial alpha). A layer with
no class colour — a gray or binary mask — takes its class from a class name in its file
name and its mask from the non-black pixels; otherwise it is an error naming the file and
the colours found. Gray PNG modes (L, LA, 1, I;16) are always colourless: their white is
a mask value, not the ambiguous brush.

Only the bounding box of the mask is kept (a crop plus its offset), so whole-scene
layers never stay in memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit
from PIL import Image

from cerulean_tiling import classes
from cerulean_tiling.errors import LayerColourError, LayerSizeError
from cerulean_tiling.png import read_png
from cerulean_tiling.types import BoolArray, LayerReport, UInt8Array

log = logging.getLogger(__name__)

N_CATEGORIES = 10
WHITE, GRAY, BLACK, OTHER = 6, 7, 8, 9
_GRAY_MODES = ("L", "LA", "1", "I", "I;16", "I;16B", "I;16L")
_COLOURS = np.array([classes.by_id(i).colour for i in range(6)], dtype=np.int32)


@dataclass(frozen=True)
class DecodedLayer:
    """One layer's instance: class, mask crop and where the crop sits in the scene.

    Attributes:
        index: position of the layer in the scene's sorted layer list.
        file: layer file name.
        class_id: the instance's class.
        mask: boolean crop of the instance's bounding box.
        offset: (row, col) of the crop's top-left pixel in the scene.
    """

    index: int
    file: str
    class_id: int
    mask: BoolArray
    offset: tuple[int, int]


@dataclass(frozen=True)
class _Scan:
    counts: np.ndarray  # (N_CATEGORIES,) pixels per category
    boxes: np.ndarray  # (N_CATEGORIES, 4) row0, col0, row1, col1 (exclusive)


def decode_layer(
    path: Path,
    index: int,
    expected_size: tuple[int, int],
    alpha_threshold: int = 0,
    tolerance: int = 24,
) -> tuple[DecodedLayer | None, LayerReport]:
    """Decode one layer PNG into its instance.

    Args:
        path: the layer PNG.
        index: the layer's position in its scene (kept in the result).
        expected_size: (width, height) of the scene's Background.png.
        alpha_threshold: pixels with alpha above this are painted.
        tolerance: largest per-channel difference still read as a class colour.

    Returns:
        The decoded instance (None for an empty or background-only layer) and a report.

    Raises:
        SceneReadError: unreadable or not a PNG.
        LayerSizeError: size differs from the background.
        LayerColourError: no class colour and no class name in the file name.
    """
    image = read_png(path)
    if image.size != expected_size:
        raise LayerSizeError(
            f"{path}: layer is {image.size[0]}x{image.size[1]} but Background.png is "
            f"{expected_size[0]}x{expected_size[1]}"
        )
    gray_mode = image.mode in _GRAY_MODES
    pixels, lut = _pixels_and_lut(image, alpha_threshold, tolerance)
    del image
    scan = _scan(pixels, lut, alpha_threshold, tolerance)
    counts = scan.counts
    visible = int(counts.sum())
    if visible == 0:
        return None, LayerReport(path.name, None, 0, ("empty layer: no painted pixel",))

    named = classes.class_in_filename(path.stem)
    coloured = counts[1:6].sum() > 0 or (not gray_mode and counts[WHITE] > 0)
    warnings: list[str] = []
    if coloured:
        candidates = {k: int(counts[k]) for k in range(1, 6)}
        if not gray_mode:
            candidates[WHITE] = int(counts[WHITE])
        category = max(candidates, key=lambda k: (candidates[k], -k))
        if candidates[category] == 0:
            return None, LayerReport(
                path.name, None, 0, ("only background colour painted: not an instance",)
            )
        class_id = category
        wanted = [category]
        for k, n in candidates.items():
            if k != category and n:
                warnings.append(f"{n} px of {classes.by_id(k).name} colour ignored")
        if named is not None and named.id != class_id:
            warnings.append(
                f"file name says {named.name} but pixels are {classes.by_id(class_id).name}"
                " colour; colour wins"
            )
    elif named is not None:
        class_id = named.id
        wanted = [WHITE, GRAY]
    else:
        raise LayerColourError(
            f"{path}: no class colour and no class name in the file name; colours found: "
            f"{_colours_found(pixels, lut, alpha_threshold)}"
        )

    box = _union_box(scan.boxes, wanted)
    mask = np.zeros((box[2] - box[0], box[3] - box[1]), dtype=np.bool_)
    want = np.zeros(N_CATEGORIES, dtype=np.bool_)
    want[wanted] = True
    if lut is None:
        _extract_rgba(pixels, alpha_threshold, _COLOURS, tolerance, want, box[0], box[1], mask)
    else:
        _extract_indexed(pixels, lut, want, box[0], box[1], mask)
    n_pixels = int(counts[wanted].sum())
    for message in warnings:
        log.warning("%s: %s", path, message)
    layer = DecodedLayer(index, path.name, class_id, mask, (int(box[0]), int(box[1])))
    return layer, LayerReport(path.name, class_id, n_pixels, tuple(warnings))


def categorise_lut(rgba: np.ndarray, alpha_threshold: int, tolerance: int) -> np.ndarray:
    """Category (or -1 when invisible) of each RGBA row of ``rgba`` (shape (n, 4))."""
    out = np.empty(len(rgba), dtype=np.int8)
    for i, (r, g, b, a) in enumerate(rgba.astype(np.int32)):
        out[i] = _category(r, g, b, a, alpha_threshold, _COLOURS, tolerance)
    return out


def _pixels_and_lut(
    image: Image.Image, alpha_threshold: int, tolerance: int
) -> tuple[UInt8Array, np.ndarray | None]:
    """Pixels as an RGBA array, or as 8-bit indices plus a category lookup table."""
    mode = image.mode
    if mode == "P":
        palette = np.asarray(image.getpalette("RGB") or [], dtype=np.int32).reshape(-1, 3)
        rgba = np.zeros((256, 4), dtype=np.int32)
        rgba[: len(palette), :3] = palette[:256]
        rgba[:, 3] = 255
        transparency = image.info.get("transparency")
        if isinstance(transparency, bytes):
            alphas = np.frombuffer(transparency, dtype=np.uint8)[:256]
            rgba[: len(alphas), 3] = alphas
        elif isinstance(transparency, int):
            rgba[transparency, 3] = 0
        return np.asarray(image), categorise_lut(rgba, alpha_threshold, tolerance)
    if mode in ("I", "I;16", "I;16B", "I;16L"):
        image = image.point(lambda v: v / 256).convert("L")
        mode = "L"
    if mode == "1":
        image = image.convert("L")
        mode = "L"
    if mode == "L":
        rgba = np.zeros((256, 4), dtype=np.int32)
        rgba[:, :3] = np.arange(256)[:, None]
        rgba[:, 3] = 255
        transparency = image.info.get("transparency")
        if isinstance(transparency, int):
            rgba[transparency, 3] = 0
        return np.asarray(image), categorise_lut(rgba, alpha_threshold, tolerance)
    if mode == "RGBA":
        return np.asarray(image), None
    if mode == "RGB" and "transparency" not in image.info:
        return np.asarray(image), None
    return np.asarray(image.convert("RGBA")), None


def _scan(pixels: UInt8Array, lut: np.ndarray | None, alpha_threshold: int,
          tolerance: int) -> _Scan:
    counts = np.zeros(N_CATEGORIES, dtype=np.int64)
    boxes = np.empty((N_CATEGORIES, 4), dtype=np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    if lut is None:
        _scan_rgba(pixels, alpha_threshold, _COLOURS, tolerance, counts, boxes)
    else:
        _scan_indexed(pixels, lut, counts, boxes)
    boxes[:, 2:] += 1
    return _Scan(counts, boxes)


def _union_box(boxes: np.ndarray, categories: list[int]) -> tuple[int, int, int, int]:
    sel = boxes[categories]
    sel = sel[sel[:, 2] > 0]
    return (int(sel[:, 0].min()), int(sel[:, 1].min()), int(sel[:, 2].max()),
            int(sel[:, 3].max()))


def _colours_found(pixels: UInt8Array, lut: np.ndarray | None, alpha_threshold: int) -> str:
    """The most frequent visible colours, for the error message."""
    if lut is not None:
        idx, n = np.unique(pixels[lut[pixels] >= 0], return_counts=True)
        values = [f"index {i} ({c} px)" for i, c in zip(idx, n, strict=True)]
        order = np.argsort(-n)[:5]
        return ", ".join(values[i] for i in order)
    rgba = pixels.reshape(-1, pixels.shape[-1])
    if rgba.shape[1] == 4:
        rgba = rgba[rgba[:, 3] > alpha_threshold]
    packed = (rgba[:, 0].astype(np.uint32) << 16) | (rgba[:, 1].astype(np.uint32) << 8) \
        | rgba[:, 2]
    values, n = np.unique(packed, return_counts=True)
    order = np.argsort(-n)[:5]
    return ", ".join(
        f"({v >> 16}, {(v >> 8) & 255}, {v & 255}) x{c}" for v, c in zip(values[order], n[order],
                                                                       strict=True)
    )


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
def _scan_rgba(img, alpha_threshold, colours, tolerance, counts, boxes):  # type: ignore[no-untyped-def]
    height, width, channels = img.shape
    for i in range(height):
        for j in range(width):
            a = img[i, j, 3] if channels == 4 else 255
            k = _category(np.int32(img[i, j, 0]), np.int32(img[i, j, 1]), np.int32(img[i, j, 2]),
                          np.int32(a), alpha_threshold, colours, tolerance)
            if k >= 0:
                counts[k] += 1
                if i < boxes[k, 0]:
                    boxes[k, 0] = i
                if j < boxes[k, 1]:
                    boxes[k, 1] = j
                if i > boxes[k, 2]:
                    boxes[k, 2] = i
                if j > boxes[k, 3]:
                    boxes[k, 3] = j


@njit(cache=True, nogil=True)
def _scan_indexed(idx, lut, counts, boxes):  # type: ignore[no-untyped-def]
    height, width = idx.shape
    for i in range(height):
        for j in range(width):
            k = lut[idx[i, j]]
            if k >= 0:
                counts[k] += 1
                if i < boxes[k, 0]:
                    boxes[k, 0] = i
                if j < boxes[k, 1]:
                    boxes[k, 1] = j
                if i > boxes[k, 2]:
                    boxes[k, 2] = i
                if j > boxes[k, 3]:
                    boxes[k, 3] = j


@njit(cache=True, nogil=True)
def _extract_rgba(img, alpha_threshold, colours, tolerance, want, row0, col0, out):  # type: ignore[no-untyped-def]
    height, width = out.shape
    channels = img.shape[2]
    for i in range(height):
        for j in range(width):
            p = img[row0 + i, col0 + j]
            a = p[3] if channels == 4 else 255
            k = _category(np.int32(p[0]), np.int32(p[1]), np.int32(p[2]), np.int32(a),
                          alpha_threshold, colours, tolerance)
            out[i, j] = k >= 0 and want[k]


@njit(cache=True, nogil=True)
def _extract_indexed(idx, lut, want, row0, col0, out):  # type: ignore[no-untyped-def]
    height, width = out.shape
    for i in range(height):
        for j in range(width):
            k = lut[idx[row0 + i, col0 + j]]
            out[i, j] = k >= 0 and want[k]
