"""Tiling settings as data: a typed, validated config (:mod:`cerulean_tiling.settings`).

The same :class:`TilingConfig` drives the CLI, the library and cerulean-coco builds,
and is written next to every output so a dataset says how it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from cerulean_tiling.channels import CHANNELS, CONSTANT, VV, parse_channel
from cerulean_tiling.errors import AuxChannelError
from cerulean_tiling.settings import Settings, key_error, load_settings
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


def _aux_specs(value: Any) -> Any:
    """``aux`` as read: a list of ``NAME=PATH`` strings (or specs) → parsed specs."""
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(item, (str, ChannelSpec)) for item in value):
        raise ValueError(f"expected a list of strings like 'vessel_density=PATH', "
                         f"got {value!r}")
    return tuple(item if isinstance(item, ChannelSpec) else ChannelSpec.parse(item)
                 for item in value)


AuxSpecs = Annotated[
    tuple[ChannelSpec, ...],
    BeforeValidator(_aux_specs),
    PlainSerializer(lambda specs: [str(spec) for spec in specs], return_type=list[str]),
]


class TilingConfig(Settings):
    """How scenes become tiles.

    Attributes:
        grid: ``tms`` (WorldCRS84Quad, the serving grid) or ``pixel`` (windows over the
            warped scene).
        zoom: WorldCRS84Quad zoom level; with 512-px tiles it sets the resolution
            (9 ≈ 76 m per pixel). The pixel grid always uses that resolution.
        tile_size: tile width and height in pixels (on the tms grid this changes the
            resolution, as tile bounds are fixed by the tile matrix).
        overlap: pixels shared by neighbouring windows (pixel grid only; at most half a
            tile).
        aux: auxiliary channels stacked after VV, in this order (``NAME=PATH`` strings in
            a settings file).
        alpha_threshold: a layer pixel is painted when its alpha exceeds this (0–254).
        colour_tolerance: largest per-channel difference from a class colour still
            read as that colour (palette quantisation); 0 means exact.
        class_rasters: also write a per-tile class-id raster (semantic segmentation).
        gcps_from: explicit GCP location template (``{scene_id}`` is substituted).
    """

    grid: GridName = "tms"
    zoom: Annotated[int, Field(ge=0, le=MAX_ZOOM)] = 9
    tile_size: Annotated[int, Field(ge=16, le=4096)] = 512
    overlap: Annotated[int, Field(ge=0)] = 0
    aux: AuxSpecs = ()
    alpha_threshold: Annotated[int, Field(ge=0, le=254)] = 0
    colour_tolerance: Annotated[int, Field(ge=0, le=127)] = 24
    class_rasters: bool = False
    gcps_from: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.grid == "tms" and self.overlap:
            raise key_error("overlap", "applies to the pixel grid only; tms tiles never "
                            "overlap")
        if self.overlap > self.tile_size // 2:
            raise key_error("overlap", f"{self.overlap} is out of range (must be <= "
                            f"{self.tile_size // 2}, half the tile size)")
        names = [c.name for c in self.aux]
        if len(set(names)) != len(names):
            raise key_error("aux", f"channels repeat a name: {', '.join(names)}")
        return self

    @property
    def channels(self) -> tuple[str, ...]:
        """Band names in band order."""
        return (VV, *(c.name for c in self.aux))

    @classmethod
    def load(cls, path: Path | str | None = None,
             overrides: Mapping[str, Any] | None = None) -> TilingConfig:
        """Load from a TOML, YAML or JSON file (by suffix); the settings may sit under a
        ``tiling`` table (as in ``tiling.json``).

        Raises:
            ConfigError: unreadable, not TOML/YAML/JSON, or a bad setting; one line
                naming the file and the key.
        """
        return load_settings(cls, path, overrides, section="tiling")
