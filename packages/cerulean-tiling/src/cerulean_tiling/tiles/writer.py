"""Writing tiles as GeoTIFFs (format in docs/formats.md), each atomically.

Tile: uint8, one band per channel in order, band descriptions = channel names,
DEFLATE, EPSG:4326 transform. Where VV is 0 the tile lies outside the scene: image
tiles carry that as an internal per-dataset mask (0 outside, 255 inside), which GDAL,
QGIS and rio-tiler read as no-data for every band, while a 0 in an aux band inside the
scene stays data. GDAL writes no timestamps, so the same inputs give byte-identical
files. Class rasters (semantic segmentation) are single-band uint8 class ids,
0 = background, without a mask.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from cerulean_tiling.arrays import BoolArray, UInt8Array
from cerulean_tiling.atomic import atomic_path
from cerulean_tiling.errors import OutputError

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
    tags: dict[str, str], valid: BoolArray | None = None,
) -> None:
    """Write a (bands, height, width) uint8 array as a tile GeoTIFF at ``path``.

    Args:
        path: the GeoTIFF to write (replaced atomically).
        data: band values, channels in order.
        transform: pixel → lon/lat affine of the tile.
        channels: band descriptions.
        tags: dataset tags (scene id, grid, tile index).
        valid: where the tile holds data; written as the internal no-data mask.

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
        with (
            atomic_path(path, "tile") as tmp,
            rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
            rasterio.open(tmp, "w", **profile) as dst,
        ):
            dst.write(data)
            for i, name in enumerate(channels, start=1):
                dst.set_band_description(i, name)
            dst.update_tags(**tags)
            if valid is not None:
                dst.write_mask(valid)
    except rasterio.errors.RasterioIOError as exc:
        raise OutputError(f"{path}: cannot write tile ({exc})") from None


def class_raster(shape: tuple[int, int], instances: list[tuple[int, np.ndarray]]) -> UInt8Array:
    """Class-id raster from (class id, mask) pairs; later instances paint over earlier."""
    out = np.zeros(shape, dtype=np.uint8)
    for class_id, mask in instances:
        out[mask] = class_id
    return out
