from __future__ import annotations

import pytest

from cerulean_tiling import classes
from cerulean_tiling.errors import ClassNameError


def test_table_matches_design() -> None:
    table = {c.id: (c.name, c.colour) for c in classes.CLASSES}
    assert table == {
        0: ("background", (0, 255, 255)),
        1: ("infra_slick", (0, 0, 255)),
        2: ("natural_seep", (0, 255, 0)),
        3: ("coincident_vessel", (255, 0, 0)),
        4: ("recent_vessel", (255, 255, 0)),
        5: ("old_vessel", (255, 0, 255)),
        6: ("ambiguous", (255, 255, 255)),
    }


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("Natural Seep 2", "natural_seep"),
        ("infra_slick-3", "infra_slick"),
        ("coincident_vessel_1", "coincident_vessel"),
        ("OLD VESSEL", "old_vessel"),
        ("Layer 4", None),
        ("background", None),
        ("vessel", None),
    ],
)
def test_class_in_filename(stem: str, expected: str | None) -> None:
    found = classes.class_in_filename(stem)
    assert (found.name if found else None) == expected


def test_lookup_errors_name_the_value() -> None:
    with pytest.raises(ClassNameError, match="'oil'"):
        classes.by_name("oil")
    with pytest.raises(ClassNameError, match="42"):
        classes.by_id(42)
    with pytest.raises(ClassNameError, match="cloud5"):
        classes.preset("cloud5")


def test_cloud4_merges_vessels_and_drops_ambiguous() -> None:
    preset = classes.preset("cloud4")
    assert preset.mapping[3] == preset.mapping[4] == preset.mapping[5] == 3
    assert 6 not in preset.mapping
    assert dict(preset.targets) == {1: "infra_slick", 2: "natural_seep", 3: "vessel"}
