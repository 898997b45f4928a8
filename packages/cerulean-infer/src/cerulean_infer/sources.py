"""Scenes in: a GRD GeoTIFF with GCPs, an annotated scene folder, or a georeferenced raster.

Every scene becomes a :class:`SceneSource` that renders its VV channel (uint8) onto any
window of the model's lattice (the WorldCRS84Quad pixel grid at the model's zoom).

- **GRD GeoTIFF with GCPs** (uint16, ~25 000 × 17 000): read once at the model's
  resolution, never whole at full resolution. The decimation factor ``f`` is the
  largest whole number of source pixels per lattice pixel; the raster is read in strips
  of rows, each a windowed read with ``out_shape`` reduced ``f`` times (GDAL averages
  the ``f × f`` blocks), through a small GDAL block cache, so peak memory is the reduced
  image plus one strip. Raw values are clipped to 0–255 after resampling, as the
  service's tiler does with ``rescale=(0, 255)``.
- **Scene folder** (Background.png + gcps.json or a GRD): the 8-bit background, reduced
  the same way when it is finer than the lattice.
- **Georeferenced raster** (a CRS and a transform, no GCPs): reprojected onto each window.

Radar-geometry scenes are placed by cerulean-tiling's thin-plate-spline georeference of
the GCPs (``georef="spline"``, the default: within a pixel of every GCP), or exactly as
the serving service places them (``georef="serving"``): every tile rendered by rio-tiler
at the service's tile bounds, which GDAL warps through a polynomial fitted to the GCPs
(:mod:`cerulean_infer.tiler`). A serving source renders tiles on demand and holds no
image of its own.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cerulean_infer.errors import SceneError
from cerulean_tiling.errors import first_line

if TYPE_CHECKING:
    from shapely.geometry import Polygon

    from cerulean_infer.tiler import ServingTiler
    from cerulean_tiling import Bounds, GCPSet, Georeference, Lattice, SceneId, Window

log = logging.getLogger(__name__)

GeorefMode = Literal["spline", "serving"]
GEOREF_MODES = ("spline", "serving")
SERVING_MARGIN_PIXELS = 64
"""Lattice pixels the serving footprint is grown by before tiles beyond it go unread."""
STRIP_ROWS = 256
GDAL_CACHE_MB = 64
_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2")


@dataclass
class SceneSource:
    """A scene ready to render onto lattice windows.

    Attributes:
        path: what was opened.
        scene_id: the Sentinel-1 product id (the file or folder name when it is not one).
        parsed_id: the parsed id, when the name is a product id (aux paths need it).
        footprint: the scene outline in lon/lat.
        image: radar-geometry VV at reduced resolution (radar scenes), else None.
        georef: the georeference of ``image`` (radar scenes), else None.
        decimation: how many source pixels one pixel of ``image`` averages, per axis.
        raster_path: the georeferenced raster to reproject (raster scenes), else None.
        tiler: the service's tiler over the scene (``georef="serving"``), else None;
            close the source when done with it.
    """

    path: Path
    scene_id: str
    parsed_id: SceneId | None
    footprint: Polygon
    image: np.ndarray | None = None
    georef: Georeference | None = None
    decimation: int = 1
    raster_path: Path | None = None
    tiler: ServingTiler | None = None

    @property
    def bounds(self) -> Bounds:
        """The scene's lon/lat bounds: the service tiler's for a serving source."""
        if self.tiler is not None:
            return self.tiler.bounds
        west, south, east, north = self.footprint.bounds
        return (float(west), float(south), float(east), float(north))

    def render(self, lattice: Lattice, window: Window) -> np.ndarray:
        """VV (uint8, 0 = no data) of this scene on ``window`` of ``lattice``."""
        if self.tiler is not None:
            return self.tiler.render(lattice.bounds(window), window.width, window.height)
        if self.image is not None and self.georef is not None:
            from cerulean_tiling import warp_image

            return warp_image(self.image, self.georef, lattice, window)
        assert self.raster_path is not None
        return _reproject(self.raster_path, lattice, window)

    def close(self) -> None:
        """Release the files a serving source holds open (a no-op otherwise)."""
        if self.tiler is not None:
            self.tiler.close()


def open_source(path: Path | str, resolution: float, georef: str = "spline") -> SceneSource:
    """Open a scene for inference at ``resolution`` degrees per pixel.

    Args:
        path: a GRD GeoTIFF with GCPs, a scene folder, or a georeferenced raster.
        resolution: the model lattice's pixel size in degrees.
        georef: ``spline`` (TPS through the GCPs) or ``serving`` (the service's tiler).

    Raises:
        SceneError: the scene cannot be read or georeferenced (the message names it).
        MissingExtraError: ``serving`` without rio-tiler installed.
    """
    from cerulean_tiling import CeruleanTilingError

    if georef == "affine":
        raise SceneError("georef 'affine' matched no real placement and is gone: the "
                         "service's tiler warps through the GCPs; use georef 'serving'")
    if georef not in GEOREF_MODES:
        raise SceneError(f"georef {georef!r} is not one of {', '.join(GEOREF_MODES)}")
    path = Path(path)
    try:
        if georef == "serving":
            return _serving_source(path, resolution * SERVING_MARGIN_PIXELS)
        if path.is_dir():
            return _open_folder(path, resolution)
        if not path.is_file():
            raise SceneError(f"{path}: no such scene file or folder")
        return _open_raster(path, resolution)
    except CeruleanTilingError as exc:
        raise SceneError(str(exc)) from None


def decimation_factor(gcps: GCPSet, resolution: float) -> int:
    """Whole source pixels per lattice pixel (≥ 1), from the GCPs' lon/lat extent.

    The scene's area in square degrees over the lattice pixel area gives how many
    lattice pixels it covers; the square root of the source pixels per lattice pixel is
    the linear factor, rounded down so the reduced image stays at least as fine as the
    lattice.
    """
    from shapely.geometry import MultiPoint

    hull = MultiPoint(np.column_stack([gcps.lon, gcps.lat])).convex_hull
    lattice_pixels = hull.area / resolution**2
    if lattice_pixels <= 0:
        return 1
    return max(1, math.floor(math.sqrt(gcps.width * gcps.height / lattice_pixels)))


def _radar_source(path: Path, image: np.ndarray, gcps: GCPSet, factor: int) -> SceneSource:
    from shapely.geometry import Polygon

    from cerulean_tiling import Georeference

    georef = Georeference.from_gcps(gcps)
    footprint = Polygon(georef.footprint())
    scene_id, parsed = _scene_id(path)
    return SceneSource(path, scene_id, parsed, footprint, image=image, georef=georef,
                       decimation=factor)


def _open_folder(path: Path, resolution: float) -> SceneSource:
    from PIL import Image, UnidentifiedImageError

    from cerulean_tiling import open_scene

    folder = open_scene(path)
    try:
        with Image.open(folder.background) as png:
            png.load()
            gray = png if png.mode == "L" else png.convert("L")
            width, height = gray.size
            gcps = folder.gcps.scaled_to(width, height)
            factor = decimation_factor(gcps, resolution)
            if factor > 1:
                gray = gray.reduce(factor)
            image = np.asarray(gray, dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise SceneError(f"{folder.background}: unreadable background ({exc})") from None
    if factor > 1:
        gcps = _reduced(gcps, image.shape[1], image.shape[0], factor)
    return _radar_source(path, image, gcps, factor)


def _reduced(gcps: GCPSet, width: int, height: int, factor: int) -> GCPSet:
    return replace(gcps, rows=gcps.rows / factor, cols=gcps.cols / factor,
                   width=width, height=height)


def _open_raster(path: Path, resolution: float) -> SceneSource:
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(path) as src:
            has_gcps = bool(src.gcps[0])
            georeferenced = src.crs is not None and not src.transform.is_identity
            if has_gcps:
                return _open_grd(path, src, resolution)
    except RasterioIOError as exc:
        raise SceneError(f"{path}: cannot open raster ({first_line(exc)})") from None
    if not georeferenced:
        raise SceneError(f"{path}: raster has neither GCPs nor a georeferenced transform")
    return _georeferenced_source(path)


def _open_grd(path: Path, src: Any, resolution: float) -> SceneSource:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    from cerulean_tiling import read_gcps_from_raster

    gcps = read_gcps_from_raster(path)
    factor = decimation_factor(gcps, resolution)
    width, height = src.width // factor, src.height // factor
    image = np.empty((height, width), dtype=np.uint8)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        for row in range(0, height, STRIP_ROWS):
            rows = min(STRIP_ROWS, height - row)
            window = Window(0, row * factor, width * factor, rows * factor)
            strip = src.read(1, window=window, out_shape=(rows, width),
                             resampling=Resampling.average if factor > 1
                             else Resampling.nearest)
            np.clip(strip, 0, 255, out=strip)
            image[row:row + rows] = strip
    log.info("%s: read %dx%d at 1/%d resolution", path, width, height, factor)
    return _radar_source(path, image, _reduced(gcps, width, height, factor), factor)


def _serving_source(path: Path, margin: float) -> SceneSource:
    """The scene opened by the service's tiler: the GRD or raster itself, or a folder's
    Background.png at its own resolution with the GCPs scaled to it."""
    from PIL import Image, UnidentifiedImageError

    from cerulean_infer.tiler import open_tiler
    from cerulean_tiling import open_scene

    if path.is_dir():
        folder = open_scene(path)
        try:
            with Image.open(folder.background) as png:
                image = np.asarray(png if png.mode == "L" else png.convert("L"),
                                   dtype=np.uint8)
        except (OSError, UnidentifiedImageError) as exc:
            raise SceneError(f"{folder.background}: unreadable background ({exc})") from None
        gcps = folder.gcps.scaled_to(image.shape[1], image.shape[0])
        tiler = open_tiler(path, image, gcps, margin=margin)
    elif path.is_file():
        tiler = open_tiler(path, margin=margin)
    else:
        raise SceneError(f"{path}: no such scene file or folder")
    scene_id, parsed = _scene_id(path)
    return SceneSource(path, scene_id, parsed, tiler.footprint, tiler=tiler)


def _georeferenced_source(path: Path) -> SceneSource:
    import rasterio
    from rasterio.warp import transform_bounds
    from shapely.geometry import box

    with rasterio.open(path) as src:
        west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    scene_id, parsed = _scene_id(path)
    return SceneSource(path, scene_id, parsed, box(west, south, east, north),
                       raster_path=path)


def _reproject(path: Path, lattice: Lattice, window: Window) -> np.ndarray:
    import rasterio
    from rasterio.warp import Resampling, reproject

    out = np.zeros((window.height, window.width), dtype=np.float32)
    with rasterio.open(path) as src:
        reproject(rasterio.band(src, 1), out, dst_transform=lattice.transform(window),
                  dst_crs="EPSG:4326", dst_nodata=0, resampling=Resampling.bilinear)
    return np.clip(out, 0, 255).astype(np.uint8)


def _scene_id(path: Path) -> tuple[str, SceneId | None]:
    from cerulean_tiling import CeruleanTilingError, parse_scene_id

    stem = path.name if path.is_dir() else path.stem
    for name in (stem, path.parent.name):
        try:
            parsed = parse_scene_id(name)
        except CeruleanTilingError:
            continue
        return parsed.value, parsed
    return stem, None


__all__ = ["GEOREF_MODES", "SERVING_MARGIN_PIXELS", "GeorefMode", "SceneSource",
           "decimation_factor", "open_source"]
