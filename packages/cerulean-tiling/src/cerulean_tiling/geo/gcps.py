"""Ground control points: reading them (gcps.json or a GRD GeoTIFF), scaling, checking.

A scene's PNGs are in radar geometry with no transform; their only georeference is a
grid of GCPs (lon/lat in EPSG:4326) taken from the GRD GeoTIFF of the same scene. The
GCP rows/cols refer to the raster they came from (``width`` × ``height``); when the
PNGs are a reduced copy (a 1/4 copy is usual) rows and cols scale by the size ratio.
Pixel coordinates follow GDAL: (0, 0) is the top-left corner of the top-left pixel.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, overload

import numpy as np

from cerulean_tiling.arrays import FloatArray
from cerulean_tiling.atomic import write_json
from cerulean_tiling.errors import GCPError, SceneReadError

logger = logging.getLogger(__name__)

MIN_GCPS = 3
# GCPs must reach this close to every image edge, as a share of the image size.
_COVERAGE_TOLERANCE = 0.05
# Reduced copies keep the aspect ratio; a larger mismatch means the wrong GRD.
_ASPECT_TOLERANCE = 0.02


@dataclass(frozen=True)
class GCPSet:
    """GCPs of one raster, as parallel arrays.

    Attributes:
        rows, cols: pixel coordinates in the raster of size ``width`` × ``height``.
        lon, lat: EPSG:4326 coordinates of those pixel positions.
        width, height: size of the raster that rows/cols refer to.
        source: where the GCPs were read from (for messages).
    """

    rows: FloatArray
    cols: FloatArray
    lon: FloatArray
    lat: FloatArray
    width: int
    height: int
    source: str

    def __len__(self) -> int:
        return int(self.rows.size)

    def scaled_to(self, width: int, height: int) -> GCPSet:
        """Rescale rows/cols to a raster of ``width`` × ``height`` (a reduced copy).

        Raises:
            GCPError: when the aspect ratios differ (the GCPs belong to another raster).
        """
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        if abs(sx / sy - 1.0) > _ASPECT_TOLERANCE:
            raise GCPError(
                f"{self.source}: GCPs refer to a {self.width}x{self.height} raster whose "
                f"aspect ratio differs from the {width}x{height} background"
            )
        return replace(self, rows=self.rows * sy, cols=self.cols * sx, width=width, height=height)

    def check_coverage(self) -> None:
        """Require at least 3 distinct GCPs spanning the whole raster.

        Raises:
            GCPError: with the source named, when GCPs are too few, collinear, or leave
                part of the raster uncovered (interpolation would turn into a guess).
        """
        if len(self) < MIN_GCPS:
            raise GCPError(f"{self.source}: {len(self)} GCPs, at least {MIN_GCPS} are needed")
        pts = np.column_stack([self.cols, self.rows])
        if np.linalg.matrix_rank(pts - pts.mean(axis=0), tol=1e-6) < 2:
            raise GCPError(f"{self.source}: GCPs are collinear and cannot georeference an image")
        tol_c, tol_r = self.width * _COVERAGE_TOLERANCE, self.height * _COVERAGE_TOLERANCE
        span = (self.cols.min(), self.rows.min(), self.cols.max(), self.rows.max())
        if (
            span[0] > tol_c
            or span[1] > tol_r
            or span[2] < self.width - tol_c
            or span[3] < self.height - tol_r
        ):
            raise GCPError(
                f"{self.source}: GCPs span cols {span[0]:.0f}–{span[2]:.0f} and rows "
                f"{span[1]:.0f}–{span[3]:.0f}, which does not cover the "
                f"{self.width}x{self.height} image"
            )

    def to_json(self) -> dict[str, Any]:
        """The gcps.json document for these GCPs."""
        return {
            "crs": "EPSG:4326",
            "width": self.width,
            "height": self.height,
            "gcps": [
                {"row": float(r), "col": float(c), "x": float(x), "y": float(y), "z": 0.0}
                for r, c, x, y in zip(self.rows, self.cols, self.lon, self.lat, strict=True)
            ],
        }


def read_gcps_json(path: Path) -> GCPSet:
    """Read a ``gcps.json`` sidecar (format in docs/formats.md).

    Raises:
        SceneReadError: unreadable or not JSON.
        GCPError: missing keys, a CRS other than EPSG:4326, or non-finite values.
    """
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise SceneReadError(f"{path}: cannot read GCPs: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SceneReadError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise GCPError(f"{path}: gcps.json must be an object with width, height and gcps")
    crs = str(doc.get("crs", "EPSG:4326")).upper()
    width, height = _number(path, doc, "width", int), _number(path, doc, "height", int)
    points = doc.get("gcps")
    if not isinstance(points, list):
        raise GCPError(f"{path}: key 'gcps' must be a list of {{row, col, x, y}} objects")
    values = {key: np.empty(len(points), dtype=np.float64) for key in ("row", "col", "x", "y")}
    for number, point in enumerate(points):
        if not isinstance(point, dict):
            raise GCPError(f"{path}: gcps[{number}] is not an object")
        for key, column in values.items():
            column[number] = _number(path, point, key, float, f"gcps[{number}].")
    rows, cols, lon, lat = values["row"], values["col"], values["x"], values["y"]
    if crs not in ("EPSG:4326", "OGC:CRS84", "WGS84"):
        raise GCPError(f"{path}: GCP crs {crs!r} is not supported, expected EPSG:4326")
    return _checked(GCPSet(rows, cols, lon, lat, width, height, str(path)))


def _number(
    path: Path, doc: dict[str, Any], key: str, kind: type[int] | type[float], where: str = ""
) -> Any:
    """``doc[key]`` as ``kind``, or a :class:`GCPError` naming the file and the key."""
    if key not in doc:
        raise GCPError(f"{path}: key '{where}{key}' is missing")
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GCPError(f"{path}: key '{where}{key}' must be a number, got {value!r}")
    return kind(value)


def read_gcps_from_raster(location: str | Path) -> GCPSet:
    """Read the GCPs of a GRD GeoTIFF: a local path or anything rasterio opens (URLs, s3://).

    Remote access uses whatever rasterio environment is active, so callers can wrap
    this in ``rasterio.Env(session=...)`` (e.g. requester-pays S3).

    Raises:
        SceneReadError: the raster cannot be opened.
        GCPError: it has no GCPs, or they are not in EPSG:4326.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    location = str(location)
    try:
        with rasterio.open(location) as src:
            gcps, crs = src.gcps
            width, height = src.width, src.height
    except RasterioIOError as exc:
        raise SceneReadError(f"{location}: cannot open GRD raster ({exc})") from None
    if not gcps:
        raise GCPError(f"{location}: the raster carries no GCPs")
    if crs is not None and crs.to_epsg() != 4326:
        raise GCPError(f"{location}: GCP crs {crs} is not supported, expected EPSG:4326")
    return _checked(
        GCPSet(
            rows=np.array([g.row for g in gcps], dtype=np.float64),
            cols=np.array([g.col for g in gcps], dtype=np.float64),
            lon=np.array([g.x for g in gcps], dtype=np.float64),
            lat=np.array([g.y for g in gcps], dtype=np.float64),
            width=width,
            height=height,
            source=location,
        )
    )


def write_gcps_json(gcps: GCPSet, path: Path) -> None:
    """Write ``gcps`` as a gcps.json sidecar (atomically)."""
    write_json(path, gcps.to_json(), indent=1, what="GCPs")


def _checked(gcps: GCPSet) -> GCPSet:
    """Reject non-finite values and drop exact duplicate GCPs (they make TPS singular)."""
    values = np.column_stack([gcps.rows, gcps.cols, gcps.lon, gcps.lat])
    if not np.isfinite(values).all():
        raise GCPError(f"{gcps.source}: GCPs contain non-finite values")
    if gcps.width <= 0 or gcps.height <= 0:
        raise GCPError(f"{gcps.source}: invalid raster size {gcps.width}x{gcps.height}")
    if not (np.all(np.abs(gcps.lat) <= 90) and np.all(np.abs(gcps.lon) <= 360)):
        raise GCPError(f"{gcps.source}: GCP coordinates are not longitude/latitude degrees")
    _, first = np.unique(values[:, :2], axis=0, return_index=True)
    if first.size < len(gcps):
        logger.info("%s: dropped %d duplicate GCPs", gcps.source, len(gcps) - first.size)
        keep = np.sort(first)
        gcps = replace(
            gcps, rows=gcps.rows[keep], cols=gcps.cols[keep], lon=gcps.lon[keep],
            lat=gcps.lat[keep],
        )
    return gcps


@overload
def metres_per_degree(lat: float) -> tuple[float, float]: ...
@overload
def metres_per_degree(lat: FloatArray) -> tuple[FloatArray, FloatArray]: ...
def metres_per_degree(lat: float | FloatArray) -> tuple[Any, Any]:
    """Approximate metres per degree of longitude and latitude at ``lat`` (WGS84).

    Works on a scalar or elementwise on an array of latitudes.
    """
    phi = np.radians(lat)
    m_lat = 111132.92 - 559.82 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
    m_lon = 111412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi)
    return m_lon, m_lat
