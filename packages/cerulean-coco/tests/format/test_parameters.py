"""Build parameters round-trip, keep their digest, and name what differs."""

from __future__ import annotations

import hashlib
import json

import pytest

from cerulean_coco.building.build import build_parameters
from cerulean_coco.errors import RecordFormatError
from cerulean_coco.format.parameters import BuildParameters
from cerulean_tiling import ChannelSpec, TilingConfig


def test_round_trip_and_digest_of_the_json_form() -> None:
    params = build_parameters(TilingConfig(zoom=8, aux=(ChannelSpec("constant", "9"),)))
    data = json.loads(json.dumps(params.to_json()))
    assert BuildParameters.from_json(data) == params
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    assert params.digest() == hashlib.sha256(canonical).hexdigest()
    assert params.digest() != build_parameters(TilingConfig()).digest()


def test_differences_name_the_dotted_keys() -> None:
    old, new = build_parameters(TilingConfig()), build_parameters(TilingConfig(zoom=8))
    assert old.differences(new) == "tiling.zoom: 9 -> 8"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([], "exactly 'tiling' and 'part_format'"),
        ({"tiling": {}, "part_format": 1, "extra": 0}, "exactly"),
        ({"tiling": {}, "part_format": "1"}, "part_format must be an integer"),
        ({"tiling": {"zoom": "nine"}, "part_format": 1},
         "parameters.tiling: key 'zoom': expected an integer"),
        ({"tiling": {"tile_size": 3}, "part_format": 1},
         "parameters.tiling: key 'tile_size': 3 is out of range"),
    ],
)
def test_malformed_parameters(data: object, needle: str) -> None:
    with pytest.raises(RecordFormatError, match=needle):
        BuildParameters.from_json(data)
