from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cerulean_tiling.errors import SceneIdError
from cerulean_tiling.scenes.sceneid import parse_scene_id

REAL = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"


def test_parses_real_id() -> None:
    sid = parse_scene_id(REAL)
    assert sid.start == datetime(2020, 8, 2, 14, 16, 46, tzinfo=UTC)
    assert REAL[17:32] == "20200802T141646"
    assert (sid.platform, sid.mode, sid.product, sid.polarisation) == ("S1A", "IW", "GRDH", "DV")
    assert sid.absolute_orbit == 33729
    assert sid.month == 8


def test_accepts_product_suffixes() -> None:
    assert parse_scene_id(REAL + ".SAFE").value == REAL


@pytest.mark.parametrize(
    "bad",
    ["scene_1", "S1A_IW_GRDH_1SDV_2020080XT141646_20200802T141711_033729_03E8C7_E4F5",
     "S1A_IW_GRDH_1SDV_20201302T141646_20200802T141711_033729_03E8C7_E4F5", ""],
)
def test_rejects_bad_ids(bad: str) -> None:
    with pytest.raises(SceneIdError, match="unparseable scene id"):
        parse_scene_id(bad)
