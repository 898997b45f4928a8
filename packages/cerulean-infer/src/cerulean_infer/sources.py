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
the GCPs (``georef="spline"``, within a pixel of the GCPs), or by one affine transform
fitted to the GCPs by least squares (``georef="affine"``), the ``from_gcps`` placement
the serving service's tiler uses: kilometres off at the corners of a real scene, kept
for comparing with production.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cerulean_infer.errors import SceneError

if TYPE_CHECKING:
    from shapely.geometry import Polygon

    from cerulean_tiling import GCPSet, Georeference, Lattice, SceneId, Window

log = logging.getLogger(__name__)

GeorefMode = Literal["spline", "affine"]
GEOREF_MODES = ("spline", "affine")
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
    """

    path: Path
    scene_id: str
    parsed_id: SceneId | None
    footprint: Polygon
    image: np.ndarray | None = None
    georef: Georeference | None = None
    decimation: int = 1
    raster_path: Path | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west, south, east, north = self.footprint.bounds
        return (float(west), float(south), float(east), float(north))

    def render(self, lattice: Lattice, window: Window) -> np.ndarray:
        """VV (uint8, 0 = no data) of this scene on ``window`` of ``lattice``."""
        if self.image is not None and self.georef is not None:
            from cerulean_tiling import warp_image

            return warp_image(self.image, self.georef, lattice, window)
        assert self.raster_path is not None
        return _reproject(self.raster_path, lattice, window)


def open_source(path: Path | str, resolution: float, georef: str = "spline") -> SceneSource:
    """Open a scene for inference at ``resolution`` degrees per pixel.

    Args:
        path: a GRD GeoTIFF with GCPs, a scene folder, or a georeferenced raster.
        resolution: the model lattice's pixel size in degrees.
        georef: ``spline`` (TPS through the GCPs) or ``affine`` (the service's placement).

    Raises:
        SceneError: the scene cannot be read or georeferenced (the message names it).
    """
    from cerulean_tiling import CeruleanTilingError

    if georef not in GEOREF_MODES:
        raise SceneError(f"georef {georef!r} is not one of {', '.join(GEOREF_MODES)}")
    path = Path(path)
    try:
        if path.is_dir():
            return _open_folder(path, resolution, georef)
        if not path.is_file():
            raise SceneError(f"{path}: no such scene file or folder")
        return _open_raster(path, resolution, georef)
    except CeruleanTilingError as exc:
        raise SceneError(str(exc)) from None


def affine_gcps(gcps: GCPSet) -> GCPSet:
    """The GCPs moved onto the least-squares affine fit through them.

    A thin-plate spline through points that lie on an affine map is that affine map
    (its bending weights vanish), so :class:`cerulean_tiling.Georeference` fitted to
    these GCPs places the raster exactly as one affine geotransform would, the way
    GDAL's and rasterio's ``from_gcps`` compute it.
    """
    design = np.column_stack([np.ones(len(gcps)), gcps.cols, gcps.rows])
    coef, *_ = np.linalg.lstsq(design, np.column_stack([gcps.lon, gcps.lat]), rcond=None)
    fitted = design @ coef
    return replace(gcps, lon=fitted[:, 0], lat=fitted[:, 1])


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


def _georeference(gcps: GCPSet, mode: str) -> Georeference:
    from cerulean_tiling import Georeference

    return Georeference.from_gcps(affine_gcps(gcps) if mode == "affine" else gcps)


def _radar_source(path: Path, image: np.ndarray, gcps: GCPSet, factor: int,
                  mode: str) -> SceneSource:
    from shapely.geometry import Polygon

    georef = _georeference(gcps, mode)
    footprint = Polygon(georef.footprint())
    scene_id, parsed = _scene_id(path)
    return SceneSource(path, scene_id, parsed, footprint, image=image, georef=georef,
                       decimation=factor)


def _open_folder(path: Path, resolution: float, mode: str) -> SceneSource:
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
    return _radar_source(path, image, gcps, factor, mode)


def _reduced(gcps: GCPSet, width: int, height: int, factor: int) -> GCPSet:
    return replace(gcps, rows=gcps.rows / factor, cols=gcps.cols / factor,
                   width=width, height=height)


def _open_raster(path: Path, resolution: float, mode: str) -> SceneSource:
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(path) as src:
            has_gcps = bool(src.gcps[0])
            georeferenced = src.crs is not None and not src.transform.is_identity
            if has_gcps:
                return _open_grd(path, src, resolution, mode)
    except RasterioIOError as exc:
        raise SceneError(f"{path}: cannot open raster ({_first_line(exc)})") from None
    if not georeferenced:
        raise SceneError(f"{path}: raster has neither GCPs nor a georeferenced transform")
    return _georeferenced_source(path)


def _open_grd(path: Path, src: Any, resolution: float, mode: str) -> SceneSource:
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
    return _radar_source(path, image, _reduced(gcps, width, height, factor), factor, mode)


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


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = ["GEOREF_MODES", "GeorefMode", "SceneSource", "affine_gcps", "decimation_factor",
           "open_source"]
