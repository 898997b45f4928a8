"""Reading scene PNGs with Pillow: clear errors, no decompression-bomb refusal.

Full-resolution GRD copies reach 26k × 17k pixels, over Pillow's default
decompression-bomb limit; scene files are trusted inputs, so that limit is lifted for
our reads only (under a lock, restored afterwards).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cerulean_tiling.errors import SceneReadError
from cerulean_tiling.types import UInt8Array

_LIMIT_LOCK = threading.Lock()


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
    """Open and fully decode a PNG.

    Raises:
        SceneReadError: missing, not a PNG, or truncated/corrupt (the message names the file).
    """
    try:
        with _no_pixel_limit():
            image = Image.open(path)
            if image.format != "PNG":
                raise SceneReadError(f"{path}: not a PNG file (found {image.format})")
            image.load()
    except FileNotFoundError:
        raise SceneReadError(f"{path}: file not found") from None
    except UnidentifiedImageError:
        raise SceneReadError(f"{path}: not a PNG file") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, SceneReadError):
            raise
        raise SceneReadError(f"{path}: truncated or corrupt PNG ({exc})") from None
    return image


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header, without decoding pixels."""
    try:
        with _no_pixel_limit(), Image.open(path) as image:
            if image.format != "PNG":
                raise SceneReadError(f"{path}: not a PNG file (found {image.format})")
            return image.size
    except FileNotFoundError:
        raise SceneReadError(f"{path}: file not found") from None
    except UnidentifiedImageError:
        raise SceneReadError(f"{path}: not a PNG file") from None


def read_gray(path: Path) -> UInt8Array:
    """Decode a Background.png to 8-bit VV intensity (gray, palette, RGB(A) or 16-bit)."""
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
