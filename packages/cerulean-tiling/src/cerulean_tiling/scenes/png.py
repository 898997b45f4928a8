"""Reading scene PNGs: clear errors, bounded memory, no decompression-bomb refusal.

Pillow parses headers (mode, palette, transparency table) and is the fallback decoder
for rare modes; pixels of the common modes (8-bit gray, palette, RGB, RGBA) are decoded
by GDAL in strips of rows (:func:`png_strips`), so a full-resolution layer (26k × 17k
RGBA) never sits in memory whole, nor in Pillow's buffer plus a NumPy copy of it.

Full-resolution GRD copies are over Pillow's default decompression-bomb limit; scene
files are trusted inputs, so that limit is lifted for our reads only (under a lock,
restored afterwards).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image, UnidentifiedImageError
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from cerulean_tiling.arrays import UInt8Array
from cerulean_tiling.errors import SceneReadError

_LIMIT_LOCK = threading.Lock()
STRIP_ROWS = 256
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


@contextmanager
def _no_pixel_limit() -> Iterator[None]:
    with _LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def read_png(path: Path) -> Image.Image:
    """Open and fully decode a PNG with Pillow.

    Raises:
        SceneReadError: missing, not a PNG, or truncated/corrupt (the message names the file).
    """
    image = open_png(path)
    try:
        with _no_pixel_limit():
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise SceneReadError(f"{path}: truncated or corrupt PNG ({exc})") from None
    return image


def open_png(path: Path) -> Image.Image:
    """Parse a PNG's header (size, mode, palette, transparency) without decoding pixels.

    Raises:
        SceneReadError: missing or not a PNG (the message names the file).
    """
    try:
        with _no_pixel_limit():
            image = Image.open(path)
    except FileNotFoundError:
        raise SceneReadError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise SceneReadError(f"{path}: not a PNG file") from None
    if image.format != "PNG":
        image.close()
        raise SceneReadError(f"{path}: not a PNG file (found {image.format})")
    if not _ends_with_iend(path):
        image.close()
        raise SceneReadError(f"{path}: truncated or corrupt PNG (no IEND chunk at the end)")
    return image


def _ends_with_iend(path: Path) -> bool:
    """A complete PNG ends with the 12-byte IEND chunk; a cut-off download does not.

    Decoders may return a truncated image's missing rows as zeros with only a warning,
    so truncation is checked explicitly.
    """
    with open(path, "rb") as stream:
        stream.seek(0, 2)
        if stream.tell() < 12:
            return False
        stream.seek(-12, 2)
        return stream.read(12) == _IEND


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header, without decoding pixels."""
    with open_png(path) as image:
        return image.size


def gdal_layout(path: Path) -> tuple[int, str] | None:
    """(band count, dtype) GDAL decodes ``path`` to, or None when GDAL cannot open it."""
    try:
        with _quiet_gdal(), rasterio.open(path) as src:
            return src.count, src.dtypes[0]
    except RasterioIOError:
        return None


def png_strips(path: Path, rows: int = STRIP_ROWS) -> Iterator[tuple[int, UInt8Array]]:
    """Decode a PNG top to bottom in strips: yields (first row, (bands, rows, width) array).

    PNG rows are compressed as one stream, so sequential strips cost one decode pass.

    Raises:
        SceneReadError: truncated or corrupt data (the message names the file).
    """
    try:
        with _quiet_gdal(), rasterio.open(path) as src:
            height, width = src.height, src.width
            for row in range(0, height, rows):
                window = Window(0, row, width, min(rows, height - row))
                yield row, src.read(window=window)
    except RasterioIOError as exc:
        raise SceneReadError(f"{path}: truncated or corrupt PNG ({exc})") from None


@contextmanager
def _quiet_gdal() -> Iterator[None]:
    """PNGs carry no georeference; GDAL's warning about it is noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def read_gray(path: Path) -> UInt8Array:
    """Decode a Background.png to 8-bit VV intensity (gray, palette, RGB(A) or 16-bit)."""
    with open_png(path) as header:
        mode, (width, height) = header.mode, header.size
    if mode == "L" and gdal_layout(path) == (1, "uint8"):
        out = np.empty((height, width), dtype=np.uint8)
        for row, strip in png_strips(path):
            out[row : row + strip.shape[1]] = strip[0]
        return out
    image = read_png(path)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I"):
        data = np.asarray(image, dtype=np.uint32)
        return (data >> 8).clip(0, 255).astype(np.uint8)
    if mode == "P":
        palette = np.asarray(image.getpalette("RGB") or [], dtype=np.uint8).reshape(-1, 3)
        lut = np.zeros(256, dtype=np.uint8)
        lut[: len(palette)] = _luma(palette)
        indices: UInt8Array = np.asarray(image, dtype=np.uint8)
        return lut[indices]
    if mode in ("RGB", "RGBA"):
        rgb = np.asarray(image)[..., :3]
        return _luma(rgb)
    if mode != "L":
        image = image.convert("L")
    return np.asarray(image, dtype=np.uint8)


def _luma(rgb: np.ndarray) -> UInt8Array:
    """Gray value of RGB pixels; exact for gray pixels (R = G = B)."""
    weights = np.array([299, 587, 114], dtype=np.uint32)
    return ((rgb.astype(np.uint32) @ weights + 500) // 1000).astype(np.uint8)
