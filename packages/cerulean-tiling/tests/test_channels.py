"""Channel names: parsing ``constant=V``, and a written tile read back by band name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_bounds

from cerulean_tiling.channels import (
    CHANNELS,
    Channel,
    parse_channel,
    read_tile_channels,
    tile_bands,
)
from cerulean_tiling.errors import AuxChannelError, ChannelError, TileReadError
from cerulean_tiling.tiles.writer import write_tile


def test_parse_channel_names_and_constant_values() -> None:
    assert parse_channel("vv") == Channel("vv")
    assert parse_channel("vessel_density").is_band
    assert parse_channel("constant") == Channel("constant", 255)
    assert parse_channel("constant=") == Channel("constant", 255)
    assert parse_channel("constant=0") == Channel("constant", 0)
    assert not parse_channel("constant=255").is_band


@pytest.mark.parametrize("value", ["-1", "+7", " 7", "x", "٣", "1.5"])
def test_constant_values_are_digits(value: str) -> None:
    with pytest.raises(ChannelError) as info:
        parse_channel(f"constant={value}")
    assert str(info.value) == (f"channel 'constant={value}': the constant value must be a "
                               "whole number 0–255 (constant=V)")


def test_constant_values_are_at_most_255() -> None:
    with pytest.raises(ChannelError,
                       match="^channel 'constant=0256': constant value 256 is outside 0–255$"):
        parse_channel("constant=0256")


@pytest.mark.parametrize("text", ["radar", "vv=3", "VV", ""])
def test_unknown_names_list_the_known_ones(text: str) -> None:
    with pytest.raises(AuxChannelError) as info:
        parse_channel(text)
    assert str(info.value) == f"unknown channel {text!r}; known: {', '.join(CHANNELS)}"


def test_tile_bands_places_each_channel() -> None:
    assert tile_bands(("vv", "infra_distance"), ["infra_distance", "constant", "vv"],
                      "t.tif") == (2, None, 1)
    with pytest.raises(ChannelError, match=r"^t.tif: no channel 'vessel_density' "
                                           r"\(the tile carries vv, infra_distance\)$"):
        tile_bands(("vv", "infra_distance"), ["vessel_density"], "t.tif")
    with pytest.raises(ChannelError,
                       match=r"^t.tif: channel 'constant=300': constant value 300 is outside"):
        tile_bands(("vv",), ["constant=300"], "t.tif")
    with pytest.raises(ChannelError, match=r"the tile carries no named bands"):
        tile_bands((), ["vv"], "t.tif")


def _tile(path: Path, channels: tuple[str, ...]) -> np.ndarray:
    rng = np.random.default_rng(3)
    data = rng.integers(1, 256, size=(len(channels), 8, 10), dtype=np.uint8)
    data[:, :2] = 0  # outside the footprint: VV (and every band) 0
    write_tile(path, data, from_bounds(10.0, 40.0, 10.1, 40.1, 10, 8), channels, {})
    return data


def test_read_tile_channels_by_name_with_valid_pixels(tmp_path: Path) -> None:
    path = tmp_path / "t.tif"
    data = _tile(path, ("vv", "infra_distance", "vessel_density"))
    out, valid = read_tile_channels(path, ("vessel_density", "constant=7", "vv", "vv",
                                           "constant"))
    assert out.dtype == np.uint8 and out.shape == (5, 8, 10)
    np.testing.assert_array_equal(out[0], data[2])
    np.testing.assert_array_equal(out[2], data[0])
    np.testing.assert_array_equal(out[3], data[0])
    assert (out[1] == 7).all() and (out[4] == 255).all()
    np.testing.assert_array_equal(valid, data[0] != 0)
    assert not valid[:2].any() and valid[2:].all()
    # VV is read for the valid pixels even when it is not a wanted channel.
    out, valid = read_tile_channels(path, ("infra_distance",))
    np.testing.assert_array_equal(out[0], data[1])
    np.testing.assert_array_equal(valid, data[0] != 0)


def test_a_tile_without_vv_is_valid_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "t.tif"
    data = _tile(path, ("infra_distance",))
    out, valid = read_tile_channels(path, ("constant=0", "infra_distance"))
    assert (out[0] == 0).all()
    np.testing.assert_array_equal(out[1], data[0])
    assert valid.all()


def test_missing_band_and_unreadable_tile_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.tif"
    _tile(path, ("vv",))
    with pytest.raises(ChannelError, match=rf"^{path}: no channel 'infra_distance' "
                                           r"\(the tile carries vv\)$"):
        read_tile_channels(path, ("vv", "infra_distance"))
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    with pytest.raises(TileReadError, match=rf"^{broken}: unreadable tile"):
        read_tile_channels(broken, ("vv",))
