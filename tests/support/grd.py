"""A GRD-like GeoTIFF of content a test chooses (see ``write_grd``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cerulean_tiling import GCPSet


def write_grd(path: Path, image: np.ndarray, gcps: GCPSet, **creation: Any) -> Path:
    """Write ``image`` (rows × cols, any dtype) as a GRD-like GeoTIFF; returns ``path``.

    Georeferenced as a Sentinel-1 GRD is: by ``gcps`` (EPSG:4326 lon/lat), no geotransform.
    ``creation`` adds GTiff creation options (``blockysize=16`` for the GRDs' strips,
    ``compress``, ``tiled``). For a real-size scene use
    ``cerulean_tiling.write_synthetic_grd``, which writes strip by strip.
    """
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS

    points = [GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=0.0)
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    height, width = image.shape
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype=image.dtype, gcps=points, crs=CRS.from_epsg(4326),
                       **creation) as dst:
        dst.write(image, 1)
    return path
