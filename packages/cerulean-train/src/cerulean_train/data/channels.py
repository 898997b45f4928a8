"""Input channels: pick and order a tile's bands by name, fill constant bands.

A tile's bands are named by their band descriptions (cerulean-tiling writes the
channel names there: ``vv``, ``infra_distance``, ``vessel_density``). A run names the
channels its model takes, in order; each is either a band the tile must carry or
``constant`` (255 everywhere, what the serving service feeds a 3-channel model that
has only VV) / ``constant=V``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cerulean_tiling import CONSTANT, VV
from cerulean_train.errors import ChannelError, DatasetError

UInt8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ChannelPlan:
    """Where each output channel comes from: a 1-based band index, or a fill value.

    Attributes:
        channels: the wanted channel names, in order.
        sources: per channel, ``("band", index)`` or ``("fill", value)``.
    """

    channels: tuple[str, ...]
    sources: tuple[tuple[str, int], ...]

    @property
    def bands(self) -> list[int]:
        """The 1-based band indexes to read, in output order (fills excluded)."""
        return [index for kind, index in self.sources if kind == "band"]


def constant_value(channel: str) -> int | None:
    """The fill value of a ``constant``/``constant=V`` channel, None for a band name."""
    name, _, value = channel.partition("=")
    if name != CONSTANT:
        return None
    return int(value) if value else 255


def plan_channels(available: Sequence[str | None], wanted: Sequence[str],
                  where: str) -> ChannelPlan:
    """Map ``wanted`` channels onto a tile's bands (``available``, in band order).

    Raises:
        ChannelError: a wanted band is not among ``available`` (names ``where``).
    """
    sources: list[tuple[str, int]] = []
    for channel in wanted:
        fill = constant_value(channel)
        if fill is not None:
            sources.append(("fill", fill))
            continue
        if channel not in available:
            carried = ", ".join(str(a) for a in available) or "no named bands"
            raise ChannelError(f"{where}: no channel {channel!r} (the tile carries {carried})")
        sources.append(("band", list(available).index(channel) + 1))
    return ChannelPlan(tuple(wanted), tuple(sources))


def read_channels(path: Path, wanted: Sequence[str]) -> UInt8Array:
    """Read a tile's ``wanted`` channels as uint8 ``[C, H, W]``.

    Raises:
        ChannelError: the tile lacks a wanted channel.
        DatasetError: the tile cannot be read.
    """
    return read_tile(path, wanted)[0]


def read_tile(path: Path, wanted: Sequence[str]) -> tuple[UInt8Array, BoolArray]:
    """Read a tile's ``wanted`` channels as uint8 ``[C, H, W]``, and its valid pixels
    ``[H, W]``: those where the tile's VV band is not 0 (0 marks no data, outside the
    scene footprint; cerulean-eval counts the same pixels), or all of them when the
    tile carries no VV band.

    Raises:
        ChannelError: the tile lacks a wanted channel.
        DatasetError: the tile cannot be read.
    """
    import rasterio
    from rasterio.errors import RasterioError, RasterioIOError

    try:
        with rasterio.open(path) as src:
            plan = plan_channels(src.descriptions, wanted, str(path))
            shape = (src.height, src.width)
            bands = src.read(plan.bands) if plan.bands else None
            vv_band = src.descriptions.index(VV) + 1 if VV in src.descriptions else None
            if vv_band is None:
                vv = None
            elif vv_band in plan.bands:
                vv = bands[plan.bands.index(vv_band)]  # type: ignore[index]
            else:
                vv = src.read(vv_band)
    # RasterioIOError (a file GDAL cannot open) is a RasterioError only from rasterio 1.4.
    except (RasterioError, RasterioIOError) as exc:
        raise DatasetError(f"{path}: unreadable tile ({exc})") from None
    valid: BoolArray = vv != 0 if vv is not None else np.ones(shape, dtype=bool)
    out = np.empty((len(plan.sources), *shape), dtype=np.uint8)
    band = 0
    for i, (kind, value) in enumerate(plan.sources):
        if kind == "fill":
            out[i] = value
        else:
            assert bands is not None
            out[i] = bands[band]
            band += 1
    return out, valid


__all__ = ["BoolArray", "ChannelPlan", "UInt8Array", "constant_value", "plan_channels",
           "read_channels", "read_tile"]
