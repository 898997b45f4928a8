"""Searching Sentinel-1 GRD IW scenes with VV through eodag, and scene lists as GeoJSON.

A search returns :class:`SceneRecord` objects: the scene id plus what is needed to pick
scenes (times, orbits, polarisations, footprint). They are written as an RFC 7946
FeatureCollection (lon/lat, counter-clockwise outer rings), one feature per scene with
``properties.scene_id``; ``cerulean-tiling download`` reads that file back through
:func:`cerulean_tiling.acquire.scene_list.read_scene_list`.

Providers differ in which query parameters they understand, so beam mode and
polarisation are checked on the results (from their metadata, or from the product id
when a provider omits them) instead of being sent with the query.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cerulean_tiling.acquire.catalogue import COLLECTION, call_eodag, check_provider, open_gateway
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.errors import FetchError, SceneIdError, SearchQueryError
from cerulean_tiling.jsonio import write_json
from cerulean_tiling.optional import import_optional
from cerulean_tiling.scenes.sceneid import SceneId, parse_scene_id
from cerulean_tiling.types import Bounds

logger = logging.getLogger(__name__)

MODE = "IW"
POLARISATION = "VV"
_PAGE_SIZE = 100
# The polarisation code of a product id (characters 14–15) and the channels it holds.
_POLARISATIONS = {
    "SV": ("VV",), "DV": ("VV", "VH"), "SH": ("HH",), "DH": ("HH", "HV"),
    "VV": ("VV",), "VH": ("VH",), "HH": ("HH",), "HV": ("HV",),
}
# Relative orbit = (absolute orbit - offset) mod 175 + 1 for the 12-day repeat cycle.
_RELATIVE_ORBIT_OFFSET = {"S1A": 73, "S1B": 27}


@dataclass(frozen=True)
class SceneRecord:
    """One Sentinel-1 scene found in a catalogue.

    Attributes:
        scene_id: the product id (``S1A_IW_GRDH_1SDV_…``, without ``.SAFE``).
        provider: the eodag provider that listed it.
        start, stop: acquisition start and stop (UTC).
        mode: beam mode (``IW``).
        polarisations: channels held, e.g. ``("VV", "VH")``.
        relative_orbit: track number (1–175), when known.
        absolute_orbit: orbit counter since launch, when known.
        orbit_direction: ``ascending`` or ``descending``, when known.
        footprint: GeoJSON geometry in lon/lat.
    """

    scene_id: str
    provider: str
    start: datetime
    stop: datetime
    mode: str
    polarisations: tuple[str, ...]
    relative_orbit: int | None
    absolute_orbit: int | None
    orbit_direction: str | None
    footprint: dict[str, Any]

    def to_feature(self) -> dict[str, Any]:
        """The RFC 7946 Feature for this scene."""
        return {
            "type": "Feature",
            "id": self.scene_id,
            "geometry": self.footprint,
            "properties": {
                "scene_id": self.scene_id,
                "provider": self.provider,
                "start_time": _iso(self.start),
                "stop_time": _iso(self.stop),
                "mode": self.mode,
                "polarisations": list(self.polarisations),
                "relative_orbit": self.relative_orbit,
                "absolute_orbit": self.absolute_orbit,
                "orbit_direction": self.orbit_direction,
            },
        }


def search_scenes(
    bbox: Bounds,
    start: datetime,
    end: datetime,
    provider: str | None = None,
    max_results: int = 50,
    policy: RetryPolicy | None = None,
    dag: Any = None,
) -> list[SceneRecord]:
    """Find Sentinel-1 GRD IW scenes holding VV that intersect ``bbox`` in ``[start, end]``.

    Args:
        bbox: west, south, east, north in degrees.
        start, end: the acquisition time range (naive datetimes are UTC).
        provider: an eodag provider name; None lets eodag choose by its priorities.
        max_results: stop after this many matching scenes.
        policy: retries and timeouts for the catalogue queries.
        dag: an ``EODataAccessGateway`` to use (one is opened when None).

    Returns:
        The matching scenes sorted by start time, without duplicates.

    Raises:
        SearchQueryError: an empty bbox or time range, or ``max_results`` < 1.
        FetchAuthError, FetchError: the catalogue refused or failed.
    """
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise SearchQueryError(f"bbox {bbox} is not west < east, south < north in degrees")
    if end <= start:
        raise SearchQueryError(f"the search end {_iso(end)} is not after its start {_iso(start)}")
    if max_results < 1:
        raise SearchQueryError(f"max_results must be at least 1, got {max_results}")
    policy = policy or RetryPolicy()
    dag = dag if dag is not None else open_gateway()
    check_provider(dag, provider)
    found: dict[str, SceneRecord] = {}
    for page in _pages(dag, bbox, start, end, provider, policy):
        for product in page:
            record = record_from_product(product)
            if record is None or not _wanted(record):
                continue
            found.setdefault(record.scene_id, record)
            if len(found) >= max_results:
                return sorted(found.values(), key=lambda r: (r.start, r.scene_id))
    return sorted(found.values(), key=lambda r: (r.start, r.scene_id))


def record_from_product(product: Any) -> SceneRecord | None:
    """A :class:`SceneRecord` from an eodag ``EOProduct``; None when it has no usable id.

    Missing metadata falls back to what the product id encodes (mode, polarisation,
    start/stop, absolute orbit, and the relative orbit derived from it).
    """
    props: dict[str, Any] = dict(product.properties)
    raw_id = str(props.get("title") or props.get("id") or "").removesuffix(".SAFE")
    parsed = _parse(raw_id)
    if not raw_id:
        return None
    start = _time(props.get("start_datetime") or props.get("datetime")) or (
        parsed.start if parsed else None
    )
    stop = _time(props.get("end_datetime")) or (parsed.stop if parsed else None) or start
    if start is None or stop is None:
        logger.info("%s: skipped, no acquisition time", raw_id)
        return None
    absolute = _int(props.get("sat:absolute_orbit")) or (parsed.absolute_orbit if parsed else None)
    relative = _int(props.get("sat:relative_orbit"))
    if relative is None and parsed is not None and absolute is not None:
        offset = _RELATIVE_ORBIT_OFFSET.get(parsed.platform)
        relative = None if offset is None else (absolute - offset) % 175 + 1
    pols = props.get("sar:polarizations")
    if isinstance(pols, str):
        pols = pols.replace("&", " ").replace(",", " ").split()
    polarisations = tuple(str(p).upper() for p in pols) if pols else (
        _POLARISATIONS.get(parsed.polarisation, ()) if parsed else ()
    )
    direction = props.get("sat:orbit_state")
    return SceneRecord(
        scene_id=raw_id,
        provider=str(product.provider),
        start=start,
        stop=stop,
        mode=str(props.get("sar:instrument_mode") or (parsed.mode if parsed else "")).upper(),
        polarisations=polarisations,
        relative_orbit=relative,
        absolute_orbit=absolute,
        orbit_direction=str(direction).lower() if direction else None,
        footprint=_rfc7946(product.geometry),
    )


def scenes_geojson(records: Iterable[SceneRecord]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of ``records``."""
    return {"type": "FeatureCollection", "features": [r.to_feature() for r in records]}


def write_scenes(records: Iterable[SceneRecord], path: Path) -> None:
    """Write ``records`` as GeoJSON to ``path`` (through a temporary name, then renamed).

    Raises:
        OutputError: the file cannot be written.
    """
    write_json(Path(path), scenes_geojson(records), indent=1, what="scene list")


def _pages(
    dag: Any, bbox: Bounds, start: datetime, end: datetime, provider: str | None,
    policy: RetryPolicy,
) -> Iterator[Any]:
    what = f"searching {COLLECTION}" + (f" on {provider}" if provider else "")
    first = call_eodag(
        lambda: dag.search(
            collection=COLLECTION, geom=list(bbox), start=_iso(start), end=_iso(end),
            provider=provider, limit=_PAGE_SIZE, raise_errors=True,
        ),
        policy, what,
    )
    yield first
    if len(first) < _PAGE_SIZE:
        return
    more = first.next_page(update=False)
    # A generator that raised is finished, so later pages are not retried here.
    once = RetryPolicy(attempts=1, timeout=policy.timeout)
    while True:
        page = call_eodag(lambda: next(more, None), once, what)
        if not page:
            return
        yield page


def _wanted(record: SceneRecord) -> bool:
    parsed = _parse(record.scene_id)
    is_grd = parsed is None or parsed.product.startswith("GRD")
    return is_grd and record.mode == MODE and POLARISATION in record.polarisations


def _parse(scene_id: str) -> SceneId | None:
    try:
        return parse_scene_id(scene_id)
    except SceneIdError:
        return None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _iso(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc7946(geometry: Any) -> dict[str, Any]:
    """GeoJSON of a shapely geometry with RFC 7946 ring orientation (outer rings CCW)."""
    shapely = _shapely()
    if geometry is None:
        raise FetchError("a catalogue result has no footprint")
    if geometry.geom_type == "Polygon":
        geometry = shapely.geometry.polygon.orient(geometry, 1.0)
    elif geometry.geom_type == "MultiPolygon":
        geometry = shapely.geometry.MultiPolygon(
            [shapely.geometry.polygon.orient(p, 1.0) for p in geometry.geoms]
        )
    mapped: dict[str, Any] = json.loads(json.dumps(shapely.geometry.mapping(geometry)))
    return mapped


def _shapely() -> Any:
    """shapely with its geometry submodules (it comes with eodag)."""
    import_optional("shapely.geometry")
    return import_optional("shapely")


__all__ = [
    "MODE",
    "POLARISATION",
    "SceneRecord",
    "record_from_product",
    "scenes_geojson",
    "search_scenes",
    "write_scenes",
]
