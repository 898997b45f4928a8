"""Tiling settings as data: a typed, validated config that round-trips through JSON/TOML.

The same :class:`TilingConfig` drives the CLI, the library and cerulean-coco builds,
and is written next to every output so a dataset says how it was made.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cerulean_tiling.channels import CHANNELS, CONSTANT, VV, parse_channel
from cerulean_tiling.errors import AuxChannelError, ConfigError, GridError
from cerulean_tiling.types import GridName

AUX_KINDS = tuple(c for c in CHANNELS if c != VV)
"""What may follow VV in a tile: every channel but VV itself."""
MAX_ZOOM = 14


@dataclass(frozen=True)
class ChannelSpec:
    """An auxiliary channel: its kind and where its values come from.

    ``infra_distance``: a vector file (GeoJSON points/lines/polygons) or a distance raster
    in metres, scaled 0–255 over 0–60 km (255 = far). ``vessel_density``: a raster scaled
    0–255 over 0–100; the path may contain ``{month}`` (01–12), ``{year}`` or
    ``{scene_id}``. ``constant``: a value 0–255 (default 255).
    """

    name: str
    source: str | None = None

    @classmethod
    def parse(cls, text: str) -> ChannelSpec:
        """Parse ``NAME=PATH`` (or ``constant`` / ``constant=VALUE``)."""
        name, sep, source = text.partition("=")
        spec = cls(name.strip(), source.strip() if sep else None)
        spec.check()
        return spec

    def check(self) -> None:
        """Raise :class:`AuxChannelError` for an unknown kind or a missing source, or
        :class:`ChannelError` (one) for a constant value outside 0–255."""
        if self.name not in AUX_KINDS:
            raise AuxChannelError(
                f"unknown aux channel {self.name!r}; known: {', '.join(AUX_KINDS)}"
            )
        if self.name == CONSTANT:
            parse_channel(str(self))
        elif not self.source:
            raise AuxChannelError(f"aux channel {self.name!r} needs a source: {self.name}=PATH")

    def __str__(self) -> str:
        return self.name if self.source is None else f"{self.name}={self.source}"


@dataclass(frozen=True)
class TilingConfig:
    """How scenes become tiles.

    Attributes:
        grid: ``tms`` (WorldCRS84Quad, the serving grid) or ``pixel`` (windows over the
            warped scene).
        zoom: WorldCRS84Quad zoom level; with 512-px tiles it sets the resolution
            (9 ≈ 76 m per pixel). The pixel grid always uses that resolution.
        tile_size: tile width and height in pixels (on the tms grid this changes the
            resolution, as tile bounds are fixed by the tile matrix).
        overlap: pixels shared by neighbouring windows (pixel grid only).
        aux: auxiliary channels stacked after VV, in this order.
        alpha_threshold: a layer pixel is painted when its alpha exceeds this (0–254).
        colour_tolerance: largest per-channel difference from a class colour still
            read as that colour (palette quantisation); 0 means exact.
        class_rasters: also write a per-tile class-id raster (semantic segmentation).
        gcps_from: explicit GCP location template (``{scene_id}`` is substituted).
    """

    grid: GridName = "tms"
    zoom: int = 9
    tile_size: int = 512
    overlap: int = 0
    aux: tuple[ChannelSpec, ...] = field(default_factory=tuple)
    alpha_threshold: int = 0
    colour_tolerance: int = 24
    class_rasters: bool = False
    gcps_from: str | None = None

    def __post_init__(self) -> None:
        if self.grid not in ("tms", "pixel"):
            raise GridError(f"unknown grid {self.grid!r}; use 'tms' or 'pixel'")
        if not 0 <= self.zoom <= MAX_ZOOM:
            raise GridError(f"zoom {self.zoom} is outside 0–{MAX_ZOOM}")
        if not 16 <= self.tile_size <= 4096:
            raise GridError(f"tile_size {self.tile_size} is outside 16–4096")
        if self.grid == "tms" and self.overlap:
            raise GridError("overlap applies to the pixel grid only; tms tiles never overlap")
        if not 0 <= self.overlap < self.tile_size // 2 + 1:
            raise GridError(f"overlap {self.overlap} is outside 0–{self.tile_size // 2}")
        if not 0 <= self.alpha_threshold <= 254:
            raise GridError(f"alpha_threshold {self.alpha_threshold} is outside 0–254")
        if not 0 <= self.colour_tolerance <= 127:
            raise GridError(f"colour_tolerance {self.colour_tolerance} is outside 0–127")
        names = [c.name for c in self.aux]
        if len(set(names)) != len(names):
            raise AuxChannelError(f"aux channels repeat a name: {', '.join(names)}")
        for spec in self.aux:
            spec.check()

    @property
    def channels(self) -> tuple[str, ...]:
        """Band names in band order."""
        return (VV, *(c.name for c in self.aux))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/TOML-ready data."""
        data = asdict(self)
        data["aux"] = [str(c) for c in self.aux]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TilingConfig:
        """Build from :meth:`to_dict` output.

        Raises:
            ConfigError: an unknown key, or a value of the wrong type (the key is named).
            GridError, AuxChannelError: a value out of range (the key is named).
        """
        if not isinstance(data, dict):
            raise ConfigError(f"expected a table of tiling settings, got {type(data).__name__}")
        unknown = set(data) - set(_FIELD_TYPES)
        if unknown:
            raise ConfigError(f"unknown tiling setting(s): {', '.join(sorted(unknown))}")
        for key, value in data.items():
            _check_type(key, value)
        values = dict(data)
        try:
            values["aux"] = tuple(ChannelSpec.parse(c) for c in values.get("aux", ()))
        except AuxChannelError as exc:
            raise AuxChannelError(f"aux: {exc}") from None
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> TilingConfig:
        """Load from a ``.toml`` file, or JSON (any other suffix); settings may sit under
        a ``tiling`` table (as in ``tiling.json``).

        Raises:
            ConfigError: unreadable, not TOML/JSON, or a bad setting; one line naming
                the file and the key.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read settings ({_reason(exc)})") from None
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            kind = "TOML" if path.suffix == ".toml" else "JSON"
            raise ConfigError(f"{path}: not valid {kind} ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("tiling"), dict):
            data = data["tiling"]
        try:
            return cls.from_dict(data)
        except (ConfigError, GridError, AuxChannelError) as exc:
            raise ConfigError(f"{path}: {exc}") from None


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "grid": (str,),
    "zoom": (int,),
    "tile_size": (int,),
    "overlap": (int,),
    "aux": (list, tuple),
    "alpha_threshold": (int,),
    "colour_tolerance": (int,),
    "class_rasters": (bool,),
    "gcps_from": (str, type(None)),
}
_TYPE_NAMES = {str: "a string", int: "an integer", list: "a list", tuple: "a list",
               bool: "true or false", type(None): "null"}


def _check_type(key: str, value: Any) -> None:
    """Raise :class:`ConfigError` naming ``key`` when ``value`` has the wrong type."""
    wanted = _FIELD_TYPES[key]
    # bool is an int in Python; a settings file saying `zoom = true` is still wrong.
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and bool not in wanted)
    if key == "aux" and ok:
        ok = all(isinstance(item, str) for item in value)
        if not ok:
            raise ConfigError(f"aux: expected a list of strings like 'vessel_density=PATH', "
                              f"got {value!r}")
    if not ok:
        names = " or ".join(dict.fromkeys(_TYPE_NAMES[t] for t in wanted))
        raise ConfigError(f"{key}: expected {names}, got {value!r}")


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)
