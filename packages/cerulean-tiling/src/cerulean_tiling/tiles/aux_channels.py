"""Auxiliary channels on the scene's lattice window, scaled to uint8 (docs/formats.md).

(Named aux_channels, not aux: AUX is a reserved file name on Windows.)

- ``infra_distance``: distance to oil infrastructure, 0–255 over 0–60 km, 255 = far.
  From a vector file (GeoJSON points, lines, polygons: rasterised, then an exact
  distance transform on a window grown by 60 km so features just outside the scene
  count) or from a distance raster in metres (resampled bilinearly).
- ``vessel_density``: a raster for the scene's month, 0–255 over 0–100.
- ``constant``: one value everywhere (255 by default), for 3-channel models with VV only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from cerulean_tiling.arrays import FloatArray, UInt8Array
from cerulean_tiling.channels import CONSTANT, INFRA_DISTANCE, VESSEL_DENSITY, parse_channel
from cerulean_tiling.config import ChannelSpec
from cerulean_tiling.errors import AuxChannelError
from cerulean_tiling.geo.gcps import metres_per_degree
from cerulean_tiling.geo.grid import Lattice, Window
from cerulean_tiling.scenes.sceneid import SceneId
from cerulean_tiling.tiles.distance import distance_transform

INFRA_RANGE_M = 60_000.0
VESSEL_DENSITY_MAX = 100.0
_VECTOR_SUFFIXES = (".geojson", ".json")


def aux_channel(
    spec: ChannelSpec, lattice: Lattice, window: Window, scene_id: SceneId
) -> UInt8Array:
    """Compute one auxiliary channel over ``window``.

    Raises:
        AuxChannelError: the source is missing or unreadable (the message names it).
    """
    shape = (window.height, window.width)
    if spec.name == CONSTANT:
        return np.full(shape, parse_channel(str(spec)).fill, dtype=np.uint8)
    path = resolve_source(spec, scene_id)
    if spec.name == INFRA_DISTANCE:
        if Path(path).suffix.lower() in _VECTOR_SUFFIXES:
            metres = _distance_from_vectors(Path(path), lattice, window)
        else:
            metres = _resample_raster(path, lattice, window, fill=np.inf)
        return _scale(metres, INFRA_RANGE_M)
    if spec.name == VESSEL_DENSITY:
        return _scale(_resample_raster(path, lattice, window, fill=0.0), VESSEL_DENSITY_MAX)
    raise AuxChannelError(f"unknown aux channel {spec.name!r}")


def resolve_source(spec: ChannelSpec, scene_id: SceneId) -> str:
    """Fill ``{month}``, ``{year}`` and ``{scene_id}`` in a channel's source path."""
    if not spec.source:
        raise AuxChannelError(f"aux channel {spec.name!r} needs a source: {spec.name}=PATH")
    try:
        return spec.source.format(
            month=f"{scene_id.month:02d}", year=scene_id.start.year, scene_id=scene_id.value
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise AuxChannelError(f"{spec.source}: bad placeholder in aux path ({exc})") from None


def _scale(values: FloatArray, full_scale: float) -> UInt8Array:
    scaled = np.clip(np.nan_to_num(values, nan=full_scale, posinf=full_scale) / full_scale,
                     0.0, 1.0)
    out: UInt8Array = np.round(scaled * 255.0).astype(np.uint8)
    return out


def _resample_raster(location: str, lattice: Lattice, window: Window, fill: float) -> FloatArray:
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import Resampling, reproject

    out = np.full((window.height, window.width), np.nan, dtype=np.float64)
    try:
        with rasterio.open(location) as src:
            if src.crs is None:
                raise AuxChannelError(f"{location}: aux raster has no CRS")
            reproject(
                rasterio.band(src, 1), out, dst_transform=lattice.transform(window),
                dst_crs="EPSG:4326", dst_nodata=np.nan, resampling=Resampling.bilinear,
            )
            scale = 1000.0 if (src.units[0] or "").lower() in ("km", "kilometre",
                                                               "kilometer") else 1.0
    except RasterioIOError as exc:
        raise AuxChannelError(f"{location}: cannot read aux raster ({exc})") from None
    out *= scale
    out[np.isnan(out)] = fill
    return out


def _distance_from_vectors(path: Path, lattice: Lattice, window: Window) -> FloatArray:
    from rasterio.features import rasterize

    geometries = _read_geometries(path)
    lat_mid = lattice.y0 - (window.row + window.height / 2) * lattice.res
    m_lon, m_lat = metres_per_degree(lat_mid)
    pad_r = math.ceil(INFRA_RANGE_M / (m_lat * lattice.res))
    pad_c = math.ceil(INFRA_RANGE_M / (max(m_lon, 1.0) * lattice.res))
    grown = Window(window.row - pad_r, window.col - pad_c, window.height + 2 * pad_r,
                   window.width + 2 * pad_c)
    if not geometries:
        return np.full((window.height, window.width), np.inf)
    burned = rasterize(
        ((g, 1) for g in geometries), out_shape=(grown.height, grown.width),
        transform=lattice.transform(grown), fill=0, all_touched=True, dtype="uint8",
    ).astype(bool)
    distance = distance_transform(burned, (m_lat * lattice.res, m_lon * lattice.res))
    return distance[pad_r : pad_r + window.height, pad_c : pad_c + window.width]


def _read_geometries(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise AuxChannelError(f"{path}: cannot read infrastructure file ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AuxChannelError(f"{path}: not valid GeoJSON ({exc})") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection":
        geoms = [f.get("geometry") for f in doc.get("features", [])]
    elif kind == "Feature":
        geoms = [doc.get("geometry")]
    elif kind in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"):
        geoms = [doc]
    else:
        raise AuxChannelError(f"{path}: not a GeoJSON FeatureCollection, Feature or geometry")
    return [g for g in geoms if g]
