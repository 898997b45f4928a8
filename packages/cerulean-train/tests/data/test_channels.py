"""Channel selection: bands by name, in the run's order, constant fills, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from cerulean_coco import CocoDataset
from cerulean_train.data.channels import check_channels, read_channels
from cerulean_train.errors import ChannelError


def test_bands_are_picked_by_name_and_reordered(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    path = coco.tile_path(coco.images[0])
    with rasterio.open(path) as src:
        assert src.descriptions == ("vv", "infra_distance")
        vv, infra = src.read(1), src.read(2)
    out = read_channels(path, ["infra_distance", "constant", "vv", "constant=7"])
    assert out.dtype == np.uint8 and out.shape == (4, *vv.shape)
    np.testing.assert_array_equal(out[0], infra)
    np.testing.assert_array_equal(out[2], vv)
    assert (out[1] == 255).all() and (out[3] == 7).all()


def test_missing_channel_names_the_tile_and_the_channel(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    path = coco.tile_path(coco.images[0])
    with pytest.raises(ChannelError) as info:
        read_channels(path, ["vv", "vessel_density"])
    message = str(info.value)
    assert message.startswith(str(path))
    assert "no channel 'vessel_density'" in message and "vv, infra_distance" in message


def test_check_channels_raises_the_runs_error() -> None:
    check_channels(("vv", "infra_distance"), ["vv", "constant=0"], "t.tif")
    with pytest.raises(ChannelError, match=r"^t.tif: no channel 'vessel_density' "
                                           r"\(the tile carries vv\)$"):
        check_channels(("vv",), ["vessel_density"], "t.tif")
