"""Served slicks the service stores as not oil: within 1 km of land, or on sea ice.

After inference the serving service stores a slick near land as ``LAND`` and a slick on
the day's sea-ice mask as ``SEA_ICE``, both beneath ``NOT_OIL``: the public never sees
such a slick as an oil detection. An evaluation that counts them as predictions would
charge a model false positives the public never sees (or credit it with finds it never
shows), so:

- :class:`NotOilSources` reads a land file and a sea-ice mask (a path, ``{date}`` filled
  in per scene) once, up front, and marks each scene's served slicks with
  cerulean-infer's own :func:`~cerulean_infer.reclassify_slicks`;
- :func:`is_not_oil` says whether a slick was so marked, here or already in the GeoJSON
  it was read from (its ``stored_class`` is ``LAND`` or ``SEA_ICE``, or its
  ``stored_parent`` is ``NOT_OIL``). The evaluation leaves such slicks out of every
  count and every painted pixel, and writes them to ``slicks.geojson`` as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cerulean_infer import (
    LAND,
    LAND_DISTANCE_M,
    NOT_OIL,
    SEA_ICE,
    STORED_CLASS,
    STORED_PARENT,
    SeaIce,
    Slick,
    read_polygons,
    read_sea_ice,
    reclassify_slicks,
)
from cerulean_tiling import SceneId, parse_scene_id
from cerulean_tiling.errors import SceneIdError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

NOT_OIL_CLASSES: tuple[str, ...] = (LAND, SEA_ICE)
"""The stored classes beneath ``NOT_OIL`` that the service gives after inference."""


def is_not_oil(slick: Slick) -> bool:
    """Whether the service stores ``slick`` as not oil (``LAND`` or ``SEA_ICE``)."""
    return (slick.extra.get(STORED_CLASS) in NOT_OIL_CLASSES
            or slick.extra.get(STORED_PARENT) == NOT_OIL)


def stored_class(slick: Slick) -> str:
    """The class the service stores for a not-oil slick (``NOT_OIL`` when only the parent
    says so)."""
    value = slick.extra.get(STORED_CLASS)
    return value if value in NOT_OIL_CLASSES else NOT_OIL


@dataclass(frozen=True, eq=False)
class NotOilSources:
    """The land and sea-ice masks an evaluation reclassifies served slicks with.

    Attributes:
        land_path: the land GeoJSON as given, or None.
        sea_ice_path: the sea-ice path as given (``{date}`` unfilled), or None.
        land: the land polygons' union.
        ice: each scene's sea-ice mask (one shared mask when the path has no ``{date}``).
    """

    land_path: Path | None = None
    sea_ice_path: str | None = None
    land: BaseGeometry | None = None
    ice: dict[str, SeaIce] = field(default_factory=dict)

    @classmethod
    def read(cls, land: Path | str | None, sea_ice: Path | str | None,
             scene_ids: Iterable[str]) -> NotOilSources:
        """Read the masks and resolve every scene's sea-ice file before any work.

        Raises:
            SceneError: a land file that is missing or holds no polygon; a sea-ice file
                that is missing, unreadable, holds no polygon or is a raster without a
                CRS; a ``{date}`` path for a scene whose id gives no date.
        """
        geometry = read_polygons(land, "land mask") if land is not None else None
        ice: dict[str, SeaIce] = {}
        if sea_ice is not None:
            shared = None if "{" in str(sea_ice) else read_sea_ice(sea_ice)
            for scene_id in scene_ids:
                ice[scene_id] = shared or read_sea_ice(sea_ice, _parsed(scene_id))
        return cls(Path(land) if land is not None else None,
                   str(sea_ice) if sea_ice is not None else None, geometry, ice)

    @property
    def active(self) -> bool:
        """Whether there is anything to reclassify with."""
        return self.land is not None or bool(self.ice)

    def apply(self, scene_id: str, slicks: Sequence[Slick]) -> list[Slick]:
        """The scene's slicks marked with the class the service stores for them."""
        if not self.active:
            return list(slicks)
        return reclassify_slicks(slicks, land=self.land, sea_ice=self.ice.get(scene_id))

    def to_json(self) -> dict[str, Any]:
        """The sources as metrics.json records them."""
        files = sorted({str(i.path) for i in self.ice.values()})
        return {"land": str(self.land_path) if self.land_path is not None else None,
                "sea_ice": self.sea_ice_path, "sea_ice_files": files,
                "land_distance_m": LAND_DISTANCE_M}


def _parsed(scene_id: str) -> SceneId | None:
    try:
        return parse_scene_id(scene_id)
    except SceneIdError:
        return None


__all__ = ["NOT_OIL_CLASSES", "NotOilSources", "is_not_oil", "stored_class"]
