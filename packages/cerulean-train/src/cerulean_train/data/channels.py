"""Input channels as a run reads them: a tile's bands by name, in the run's order, with
``constant`` / ``constant=V`` bands filled.

The channel names, their syntax and the reading are cerulean-tiling's
(:func:`~cerulean_tiling.channels.read_tile_channels`), shared with evaluation and inference;
this module turns its errors into cerulean-train's, so a run fails with one tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cerulean_tiling.arrays import BoolArray, UInt8Array
from cerulean_tiling.channels import read_tile_channels, tile_bands
from cerulean_tiling.errors import ChannelError as TileChannelError
from cerulean_tiling.errors import TileReadError
from cerulean_train.errors import ChannelError, DatasetError


def check_channels(available: Sequence[str | None], wanted: Sequence[str],
                   where: str) -> None:
    """Check that a tile whose bands are ``available`` (in band order) can feed ``wanted``.

    Raises:
        ChannelError: a wanted band is not among ``available`` (names ``where``).
    """
    try:
        tile_bands(available, wanted, where)
    except TileChannelError as exc:
        raise ChannelError(str(exc)) from None


def read_channels(path: Path, wanted: Sequence[str]) -> UInt8Array:
    """Read a tile's ``wanted`` channels as uint8 ``[C, H, W]``.

    Raises:
        ChannelError: the tile lacks a wanted channel.
        DatasetError: the tile cannot be read.
    """
    return read_tile(path, wanted)[0]


def read_tile(path: Path, wanted: Sequence[str]) -> tuple[UInt8Array, BoolArray]:
    """Read a tile's ``wanted`` channels as uint8 ``[C, H, W]``, and its valid pixels
    ``[H, W]`` (VV not 0; cerulean-eval counts the same pixels).

    Raises:
        ChannelError: the tile lacks a wanted channel.
        DatasetError: the tile cannot be read.
    """
    try:
        return read_tile_channels(path, wanted)
    except TileChannelError as exc:
        raise ChannelError(str(exc)) from None
    except TileReadError as exc:
        raise DatasetError(str(exc)) from None


__all__ = ["check_channels", "read_channels", "read_tile"]
