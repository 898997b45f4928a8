"""The service's reclassification after inference: slicks near land, slicks on sea ice.

Since 2026 the serving service stores, after inference, a slick within 1 km of land as
``LAND`` and a slick on the sea-ice mask of the scene's date as ``SEA_ICE``, both classes
beneath ``NOT_OIL`` (its class 1, formerly ``BACKGROUND``): what the public sees of such a
slick is not an oil detection. :func:`reclassify_slicks` marks slicks the same way, from
land polygons and a sea-ice mask the user supplies, and keeps the model's own class:

- ``class`` and ``inf_idx`` stay the model's class (what every reader of the GeoJSON,
  cerulean-eval's included, keys on);
- ``stored_class``: the class the service stores, ``LAND``, ``SEA_ICE`` or, for a slick
  neither step touches, the model's class;
- ``stored_parent``: ``NOT_OIL`` for a reclassified slick, else null.

A slick both near land and on ice is ``LAND`` (land is checked first). "Within 1 km" is
the shortest distance between the slick and any land polygon, in metres in the UTM
zone of the slick (the frame the service measures in); "on the sea-ice mask" is any
overlap: with polygons, an intersection; with a raster (any CRS), a nonzero valid pixel
touched by the slick.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cerulean_infer.errors import SceneError
from cerulean_infer.records import Slick
from cerulean_tiling.errors import first_line
from cerulean_tiling.jsonio import read_geometries

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from cerulean_tiling import SceneId

LAND_DISTANCE_M = 1000.0
"""Slicks this close to land (metres) are stored as ``LAND``."""
NOT_OIL = "NOT_OIL"
LAND = "LAND"
SEA_ICE = "SEA_ICE"
STORED_CLASS = "stored_class"
STORED_PARENT = "stored_parent"
_VECTOR_SUFFIXES = (".geojson", ".json")
_METRES_PER_DEGREE_LAT = 110_574.0


@dataclass(frozen=True)
class SeaIce:
    """A sea-ice mask: lon/lat polygons, or a raster whose nonzero valid pixels are ice.

    Attributes:
        path: the file it was read from (``{date}`` filled in).
        polygons: the ice polygons' union (GeoJSON masks), else None.
        raster: the raster mask (checked to carry a CRS), else None.
    """

    path: Path
    polygons: BaseGeometry | None = None
    raster: Path | None = None


def read_polygons(path: Path | str, what: str) -> BaseGeometry:
    """The union of the (Multi)Polygons in a GeoJSON file (lon/lat), as one geometry.

    Raises:
        SceneError: the file is missing, not GeoJSON, or holds no polygon (one line
            naming the file and ``what`` it was meant to be).
    """
    from shapely.geometry import shape
    from shapely.ops import unary_union

    geometries = read_geometries(path, what, error=SceneError)
    try:
        shapes = [shape(g) for g in geometries]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise SceneError(f"{path}: not a GeoJSON geometry ({exc})") from None
    polygons = [s for s in shapes if s.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        found = sorted({s.geom_type for s in shapes}) or ["nothing"]
        raise SceneError(f"{path}: the {what} holds no polygon (found {', '.join(found)})")
    return unary_union(polygons)


def read_sea_ice(path: Path | str, scene_id: SceneId | None = None) -> SeaIce:
    """Open a sea-ice mask: GeoJSON polygons (lon/lat) or a raster in any CRS.

    ``{date}`` in the path is the scene's acquisition date (``YYYYMMDD``), so one
    pattern names the mask of every scene's day.

    Raises:
        SceneError: the path needs a scene date the scene's name does not give, the file
            is missing or unreadable, holds no polygon, or is a raster without a CRS.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    text = str(path)
    if "{" in text:
        if scene_id is None:
            raise SceneError(f"{text}: sea-ice path needs the scene's date, and the "
                             "scene's name is not a Sentinel-1 id")
        try:
            text = text.format(date=scene_id.start.strftime("%Y%m%d"))
        except (KeyError, IndexError, ValueError) as exc:
            raise SceneError(f"{path}: only {{date}} may be filled in ({exc})") from None
    resolved = Path(text)
    if resolved.suffix.lower() in _VECTOR_SUFFIXES:
        return SeaIce(resolved, polygons=read_polygons(resolved, "sea-ice mask"))
    if not resolved.is_file():
        raise SceneError(f"{resolved}: no such sea-ice mask file")
    try:
        with rasterio.open(resolved) as src:
            crs = src.crs
    except RasterioIOError as exc:
        raise SceneError(f"{resolved}: not a readable sea-ice raster "
                         f"({first_line(exc, 'unreadable')})") from None
    if crs is None:
        raise SceneError(f"{resolved}: the sea-ice raster has no CRS")
    return SeaIce(resolved, raster=resolved)


def reclassify_slicks(slicks: Sequence[Slick], *, land: BaseGeometry | None = None,
                      sea_ice: SeaIce | None = None,
                      land_distance_m: float = LAND_DISTANCE_M) -> list[Slick]:
    """The slicks with the class the service stores for them (see the module docstring).

    Args:
        slicks: lon/lat slicks of one scene.
        land: land polygons (lon/lat), e.g. from :func:`read_polygons`; None skips the
            land step.
        sea_ice: the scene's sea-ice mask from :func:`read_sea_ice`; None skips the step.
        land_distance_m: how close to land a slick is stored as ``LAND``.

    Returns:
        New :class:`Slick` records, in order, with ``stored_class`` and ``stored_parent``
        in ``extra``; geometry, class and confidences unchanged.
    """
    near = _near_land(slicks, land, land_distance_m) if land is not None \
        else [False] * len(slicks)
    on_ice = _on_ice(slicks, sea_ice) if sea_ice is not None else [False] * len(slicks)
    out = []
    for slick, is_land, is_ice in zip(slicks, near, on_ice, strict=True):
        stored = LAND if is_land else SEA_ICE if is_ice else slick.class_name
        parent = NOT_OIL if is_land or is_ice else None
        out.append(replace(slick, extra={**slick.extra, STORED_CLASS: stored,
                                         STORED_PARENT: parent}))
    return out


def _near_land(slicks: Sequence[Slick], land: BaseGeometry,
               distance_m: float) -> list[bool]:
    """Whether each slick lies within ``distance_m`` of land, measured in its UTM zone."""
    import shapely
    from shapely.geometry import box

    from cerulean_infer.postprocess.geodesy import MetricFrame

    parts = np.asarray(shapely.get_parts(land), dtype=object)
    tree = shapely.STRtree(parts)
    out = []
    for slick in slicks:
        west, south, east, north = slick.geometry.bounds
        # A box sure to hold every point within distance_m: degrees of latitude are
        # ~110.6 km, of longitude that times the cosine of the slick's widest latitude.
        dlat = 1.1 * distance_m / _METRES_PER_DEGREE_LAT
        widest = min(89.0, max(abs(south), abs(north)) + dlat)
        dlon = dlat / math.cos(math.radians(widest))
        search = box(west - dlon, south - dlat, east + dlon, north + dlat)
        nearby = [shapely.intersection(parts[i], search) for i in tree.query(search)]
        nearby = [g for g in nearby if not g.is_empty]
        if not nearby:
            out.append(False)
            continue
        frame = MetricFrame.around([slick.geometry])
        metric_slick, *metric_land = frame.to_metric([slick.geometry, *nearby])
        out.append(any(metric_slick.distance(g) <= distance_m for g in metric_land))
    return out


def _on_ice(slicks: Sequence[Slick], ice: SeaIce) -> list[bool]:
    if ice.polygons is not None:
        from shapely import prepared

        mask = prepared.prep(ice.polygons)
        return [bool(mask.intersects(s.geometry)) for s in slicks]
    assert ice.raster is not None
    return _on_ice_raster(slicks, ice.raster)


def _on_ice_raster(slicks: Sequence[Slick], path: Path) -> list[bool]:
    """Whether each slick touches a nonzero, valid pixel of the ice raster (band 1)."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.warp import transform_geom
    from rasterio.windows import Window, from_bounds
    from shapely.geometry import mapping, shape

    out = []
    with rasterio.open(path) as src:
        full = Window(0, 0, src.width, src.height)
        for slick in slicks:
            geometry = shape(transform_geom("EPSG:4326", src.crs, mapping(slick.geometry)))
            near = from_bounds(*geometry.bounds, transform=src.transform)
            col0, row0 = math.floor(near.col_off), math.floor(near.row_off)
            window = Window(col0, row0, math.ceil(near.col_off + near.width) - col0,
                            math.ceil(near.row_off + near.height) - row0)
            try:
                window = window.intersection(full)
            except rasterio.errors.WindowError:
                out.append(False)
                continue
            if window.width < 1 or window.height < 1:
                out.append(False)
                continue
            values = src.read(1, window=window, masked=True)
            touched = rasterize([geometry], out_shape=values.shape,
                                transform=src.window_transform(window), all_touched=True,
                                dtype="uint8").astype(bool)
            ice = np.ma.filled(values != 0, False)
            out.append(bool((ice & touched).any()))
    return out


__all__ = ["LAND", "LAND_DISTANCE_M", "NOT_OIL", "SEA_ICE", "STORED_CLASS", "STORED_PARENT",
           "SeaIce", "read_polygons", "read_sea_ice", "reclassify_slicks"]
