"""Sentinel-1 product ids: parsing and the acquisition time they carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cerulean_tiling.errors import SceneIdError

# MMM_BB_TTTR_LFPP_YYYYMMDDTHHMMSS_YYYYMMDDTHHMMSS_OOOOOO_DDDDDD_CCCC
_SCENE_ID = re.compile(
    r"^(?P<platform>S1[A-D])_(?P<mode>IW|EW|SM|WV|S[1-6])_(?P<product>[A-Z_]{4})"
    r"_(?P<level>[0-2])(?P<cls>[SA])(?P<pol>SH|SV|DH|DV|HH|HV|VV|VH)_"
    r"(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})_(?P<orbit>\d{6})_"
    r"(?P<datatake>[0-9A-F]{6})_(?P<unique>[0-9A-F]{4})$"
)


@dataclass(frozen=True)
class SceneId:
    """A parsed Sentinel-1 product id.

    The acquisition start time sits at characters 17–32 of the id
    (``20200802T141646`` in ``S1A_IW_GRDH_1SDV_20200802T141646_…``).
    """

    value: str
    platform: str
    mode: str
    product: str
    polarisation: str
    start: datetime
    stop: datetime
    absolute_orbit: int
    datatake: str

    @property
    def month(self) -> int:
        """Acquisition month (1–12), used to pick monthly vessel-density rasters."""
        return self.start.month

    def __str__(self) -> str:
        return self.value


def parse_scene_id(text: str) -> SceneId:
    """Parse a Sentinel-1 product id such as ``S1A_IW_GRDH_1SDV_20200802T141646_…``.

    Raises:
        SceneIdError: when ``text`` does not follow the naming convention.
    """
    value = text.strip()
    for suffix in (".SAFE", ".zip", ".tiff", ".tif"):
        value = value.removesuffix(suffix)
    match = _SCENE_ID.match(value)
    if match is None:
        raise SceneIdError(
            f"unparseable scene id {text!r}: expected e.g. "
            "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"
        )
    try:
        start = _time(match["start"])
        stop = _time(match["stop"])
    except ValueError:
        raise SceneIdError(f"unparseable scene id {text!r}: invalid acquisition time") from None
    return SceneId(
        value=value,
        platform=match["platform"],
        mode=match["mode"],
        product=match["product"].rstrip("_"),
        polarisation=match["pol"],
        start=start,
        stop=stop,
        absolute_orbit=int(match["orbit"]),
        datatake=match["datatake"],
    )


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
