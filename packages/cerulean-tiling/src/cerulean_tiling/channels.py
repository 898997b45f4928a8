"""Channel names, once: what a tile band or a model input channel may be called, and
how a dataset tile's bands are read by those names.

A tile's bands are named by their band descriptions (``vv``, ``infra_distance``,
``vessel_density``; :func:`cerulean_tiling.write_tile` writes them). A model names its
input channels in order with the same names, plus ``constant`` (255 everywhere: what the
serving service feeds a 3-channel model that has only VV) or ``constant=V`` (V
everywhere, 0–255), which no tile needs to carry. Training, evaluation and inference
parse a channel with :func:`parse_channel` and read tiles with
:func:`read_tile_channels`, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cerulean_tiling.arrays import BoolArray, UInt8Array
from cerulean_tiling.errors import ChannelError, TileReadError

VV = "vv"
INFRA_DISTANCE = "infra_distance"
VESSEL_DENSITY = "vessel_density"
CONSTANT = "constant"

CHANNELS: tuple[str, ...] = (VV, INFRA_DISTANCE, VESSEL_DENSITY, CONSTANT)
"""Every channel name, in this order in messages; all but ``constant`` are tile bands."""

_CONSTANT_DEFAULT = 255
"""The value of a bare ``constant`` channel."""


@dataclass(frozen=True)
class Channel:
    """One parsed channel name.

    Attributes:
        name: one of :data:`CHANNELS`.
        fill: the value of a ``constant`` channel (0–255); None for a tile band.
    """

    name: str
    fill: int | None = None

    @property
    def is_band(self) -> bool:
        """Whether a tile must carry this channel as a band (it is not a fill)."""
        return self.fill is None


def parse_channel(text: str) -> Channel:
    """Parse a channel name: ``vv``, ``infra_distance``, ``vessel_density``, ``constant``
    (255) or ``constant=V`` (V, decimal digits, 0–255).

    Raises:
        ChannelError: an unknown name, or a constant value outside 0–255; the message
            names ``text`` (and the known names), for callers to prefix with where it
            was read.
    """
    name, sep, value = text.partition("=")
    if name == CONSTANT:
        if not value:
            return Channel(CONSTANT, _CONSTANT_DEFAULT)
        # ASCII digits only: int() would also take " 7", "+7" and other scripts' digits.
        if not (value.isascii() and value.isdigit()):
            raise ChannelError(f"channel {text!r}: the constant value must be a whole number "
                               "0–255 (constant=V)")
        if int(value) > 255:
            raise ChannelError(f"channel {text!r}: constant value {int(value)} is outside "
                               "0–255")
        return Channel(CONSTANT, int(value))
    if name not in CHANNELS or sep:
        raise ChannelError(f"unknown channel {text!r}; known: {', '.join(CHANNELS)}")
    return Channel(name)


def tile_bands(available: Sequence[str | None], channels: Sequence[str],
               where: str) -> tuple[int | None, ...]:
    """Where each of ``channels`` comes from in a tile whose bands are ``available`` (band
    descriptions, in band order): its 1-based band index, or None for a fill.

    Raises:
        ChannelError: a channel name is unknown, or a band channel is not among
            ``available`` (the message names ``where`` and the bands the tile carries).
    """
    out: list[int | None] = []
    for text in channels:
        try:
            channel = parse_channel(text)
        except ChannelError as exc:
            raise ChannelError(f"{where}: {exc}") from None
        if not channel.is_band:
            out.append(None)
        elif text in available:
            out.append(list(available).index(text) + 1)
        else:
            carried = ", ".join(str(a) for a in available) or "no named bands"
            raise ChannelError(f"{where}: no channel {text!r} (the tile carries {carried})")
    return tuple(out)


def read_tile_channels(path: Path, channels: Sequence[str]) -> tuple[UInt8Array, BoolArray]:
    """Read a dataset tile's ``channels`` by name as uint8 ``[C, H, W]``, and its valid
    pixels ``[H, W]``.

    Constant channels are filled, never read. Valid pixels are those where the tile's VV
    band is not 0 (0 marks no data, outside the scene footprint), or all of them when
    the tile carries no VV band. The VV band is read once when it is also a channel.

    Raises:
        ChannelError: an unknown channel name, or a band the tile lacks.
        TileReadError: the tile cannot be read.
    """
    import rasterio
    from rasterio.errors import RasterioError, RasterioIOError

    try:
        with rasterio.open(path) as src:
            sources = tile_bands(src.descriptions, channels, str(path))
            shape = (src.height, src.width)
            bands = [b for b in sources if b is not None]
            pixels = src.read(bands) if bands else None
            vv_band = src.descriptions.index(VV) + 1 if VV in src.descriptions else None
            if vv_band is None:
                vv = None
            elif vv_band in bands:
                vv = pixels[bands.index(vv_band)]  # type: ignore[index]
            else:
                vv = src.read(vv_band)
    # RasterioIOError (a file GDAL cannot open) is a RasterioError only from rasterio 1.4.
    except (RasterioError, RasterioIOError) as exc:
        raise TileReadError(f"{path}: unreadable tile ({exc})") from None
    valid: BoolArray = vv != 0 if vv is not None else np.ones(shape, dtype=bool)
    out = np.empty((len(sources), *shape), dtype=np.uint8)
    read = 0
    for i, (text, band) in enumerate(zip(channels, sources, strict=True)):
        if band is None:
            out[i] = parse_channel(text).fill
        else:
            assert pixels is not None
            out[i] = pixels[read]
            read += 1
    return out, valid


__all__ = ["CHANNELS", "CONSTANT", "INFRA_DISTANCE", "VESSEL_DENSITY",
           "VV", "Channel", "parse_channel", "read_tile_channels", "tile_bands"]
