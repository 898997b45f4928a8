"""The serving service's tiler: each tile rendered by rio-tiler, as the service renders it.

The service's tiler (titiler over rio-tiler) opens a GRD with rio-tiler's ``Reader``.
For a raster georeferenced only by GCPs, ``Reader`` wraps it in a ``WarpedVRT`` given
``src_crs`` from the GCPs and ``src_transform=from_gcps(gcps)``, an affine fitted to them;
but GDAL's warper still transforms through the GCPs themselves (its polynomial GCP
transformer, of an order GDAL picks from their count: 2 for a real grid of ~200). A tile
is ``Reader.part(bbox, width=512, height=512)`` in EPSG:4326, nearest-neighbour at both
warps, with nodata 0, then rescaled from 0–255 to 0–255 (values above 255 clipped).

:class:`ServingTiler` makes those same calls through rio-tiler itself (the ``serving``
extra), so the placement is the service's by construction, not a re-implementation of
GDAL's. Its ``bounds`` are the ``Reader``'s geographic bounds, what the service's
orchestrator lays its base tiles over; its ``footprint`` is the raster's outline through
the GCP polynomial, grown by a margin, used only to skip reading tiles that cannot hold
data (a tile read and found empty is dropped anyway, as the service drops it).

GDAL's block cache is left at its default (5 % of RAM): a tile's GCP warp reads a source
window of full-width strips (~200 MB of a real GRD at zoom 9), and a cache smaller than
that makes the warper read them again for every block it computes (a 256 MB cache made
tiles 10–50 times slower).

Annotated scene folders (Background.png + gcps.json) are handed to rio-tiler as an
in-memory GeoTIFF carrying the GCPs scaled to the PNG; georeferenced rasters go to
rio-tiler as they are.
"""

from __future__ import annotations

import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cerulean_infer.errors import MissingExtraError, SceneError

if TYPE_CHECKING:
    from shapely.geometry import Polygon

    from cerulean_tiling import Bounds

TILER_NODATA = 0
"""The no-data value the service's tiler is asked for."""
RESCALE = (0, 255)
"""The service's ``rescale`` range: raw values in it map to 0–255, others are clipped."""
OUTLINE_POINTS = 64
"""Points per raster edge when tracing the footprint through the GCP polynomial."""


def _rio_tiler() -> Any:
    try:
        from rio_tiler.io import Reader
    except ImportError:
        raise MissingExtraError(
            'georef "serving" renders tiles with rio-tiler: '
            'pip install "cerulean-infer[serving]"') from None
    return Reader


class ServingTiler:
    """One scene opened the way the service's tiler opens it; renders tiles by bbox.

    Use as a context manager, or call :meth:`close`. Not thread-safe: one thread renders.
    """

    def __init__(self, path: Path, dataset: Any, stack: ExitStack, margin: float) -> None:
        self._reader = _rio_tiler()
        self.path = path
        self.dataset = dataset
        self._stack = stack
        with self._open() as reader:
            self.bounds: Bounds = tuple(  # type: ignore[assignment]
                float(v) for v in reader.get_geographic_bounds("EPSG:4326"))
        self.footprint: Polygon = _outline(dataset).buffer(margin)

    def _open(self) -> Any:
        with warnings.catch_warnings():
            # rio-tiler warns that a raster without overviews is slow; GRDs have none.
            warnings.simplefilter("ignore")
            return self._reader(None, dataset=self.dataset)

    def render(self, bounds: Bounds, width: int, height: int) -> np.ndarray:
        """VV (uint8, 0 = no data) over ``bounds`` (west, south, east, north), as the
        service's tiler renders a ``width`` × ``height`` tile of them.

        A ``Reader`` (and so its GCP ``WarpedVRT``) is made for each tile, as each of
        the tiler's requests makes one: the warped blocks go with it, and GDAL's cache
        keeps only the source blocks between tiles.
        """
        from rasterio.crs import CRS

        wgs84 = CRS.from_epsg(4326)
        with self._open() as reader, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = reader.part(bounds, dst_crs=wgs84, bounds_crs=wgs84, width=width,
                                height=height, nodata=TILER_NODATA, indexes=1)
        image.rescale(in_range=(RESCALE,))
        out: np.ndarray = np.asarray(image.data[0], dtype=np.uint8)
        return out

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ServingTiler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_tiler(path: Path, image: np.ndarray | None = None, gcps: Any = None,
               margin: float = 0.0) -> ServingTiler:
    """Open a scene for the service's tiler.

    Args:
        path: the raster (a GRD with GCPs or a georeferenced raster), or the scene folder
            when ``image`` is given.
        image: an 8-bit radar-geometry background (scene folders), placed by ``gcps``.
        gcps: the :class:`cerulean_tiling.GCPSet` of ``image``.
        margin: degrees the footprint is grown by (tiles beyond it are not read).

    Raises:
        SceneError: the raster cannot be opened.
        MissingExtraError: rio-tiler is not installed.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    _rio_tiler()
    stack = ExitStack()
    try:
        if image is None:
            dataset = stack.enter_context(rasterio.open(path))
        else:
            dataset = _in_memory(stack, image, gcps)
        return ServingTiler(path, dataset, stack, margin)
    except RasterioIOError as exc:
        stack.close()
        raise SceneError(f"{path}: cannot open raster ({exc})") from None
    except BaseException:
        stack.close()
        raise


def _in_memory(stack: ExitStack, image: np.ndarray, gcps: Any) -> Any:
    """``image`` as a GeoTIFF in memory, georeferenced by ``gcps`` only (as a GRD is)."""
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.io import MemoryFile

    points = [GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=0.0)
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    memory = stack.enter_context(MemoryFile())
    height, width = image.shape
    with memory.open(driver="GTiff", width=width, height=height, count=1, dtype="uint8",
                     gcps=points, crs=CRS.from_epsg(4326)) as dst:
        dst.write(image, 1)
    return stack.enter_context(memory.open())


def _outline(dataset: Any) -> Polygon:
    """The raster's edge in lon/lat: through the GCP polynomial, or its transform."""
    from rasterio.transform import GCPTransformer
    from rasterio.warp import transform_bounds
    from shapely.geometry import Polygon, box

    gcps, crs = dataset.gcps
    if not gcps:
        return box(*transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds))
    if crs is not None and crs.to_epsg() not in (4326, None):
        raise SceneError(f"{dataset.name}: GCPs in {crs}, not EPSG:4326 lon/lat")
    w, h = dataset.width, dataset.height
    t = np.linspace(0.0, 1.0, OUTLINE_POINTS, endpoint=False)
    cols = np.concatenate([t * w, np.full_like(t, w), (1 - t) * w, np.zeros_like(t)])
    rows = np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), (1 - t) * h])
    lon, lat = GCPTransformer(gcps).xy(rows, cols, offset="ul")
    return Polygon(np.column_stack([lon, lat])).buffer(0)


__all__ = ["RESCALE", "TILER_NODATA", "ServingTiler", "open_tiler"]
