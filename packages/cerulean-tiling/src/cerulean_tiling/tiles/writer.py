"""Writing tiles as GeoTIFFs (DESIGN §4), each atomically: temp name, then rename.

Tile: uint8, one band per channel in order, band descriptions = channel names,
DEFLATE, EPSG:4326 transform. GDAL writes no timestamps, so the same inputs give
byte-identical files. Class rasters (semantic segmentation) are single-band uint8
class ids, 0 = background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from cerulean_tiling.atomic import atomic_path
from cerulean_tiling.errors import OutputError
from cerulean_tiling.types import UInt8Array

_PROFILE = {
    "driver": "GTiff",
    "dtype": "uint8",
    "crs": "EPSG:4326",
    "compress": "deflate",
    "tiled": True,
    "blockxsize": 256,
    "blockysize": 256,
    "interleave": "pixel",
}


def write_tile(
    path: Path, data: UInt8Array, transform: Affine, channels: tuple[str, ...],
    tags: dict[str, str],
) -> None:
    """Write a (bands, height, width) uint8 array as a tile GeoTIFF at ``path``.

    Raises:
        OutputError: the file cannot be written (the message names it).
    """
    bands, height, width = data.shape
    profile = dict(_PROFILE, count=bands, height=height, width=width, transform=transform)
    if width % 16 or height % 16:
        profile.update(tiled=False)
        profile.pop("blockxsize")
        profile.pop("blockysize")
    try:
        with atomic_path(path, "tile") as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data)
            for i, name in enumerate(channels, start=1):
                dst.set_band_description(i, name)
            dst.update_tags(**tags)
    except rasterio.errors.RasterioIOError as exc:
        raise OutputError(f"{path}: cannot write tile ({exc})") from None


def class_raster(shape: tuple[int, int], instances: list[tuple[int, np.ndarray]]) -> UInt8Array:
    """Class-id raster from (class id, mask) pairs; later instances paint over earlier."""
    out = np.zeros(shape, dtype=np.uint8)
    for class_id, mask in instances:
        out[mask] = class_id
    return out
