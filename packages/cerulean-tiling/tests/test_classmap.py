"""The class map: the cloud4 remap, no preset, already remapped datasets, model order."""

from __future__ import annotations

import pytest

from cerulean_tiling import BACKGROUND, CLASSES, ClassMap, already_remapped
from cerulean_tiling.errors import ClassNameError

TABLE = [c for c in CLASSES if c.id != BACKGROUND.id]


class Cat:
    """A category as a COCO dataset holds it (only ``id`` and ``name``)."""

    def __init__(self, id: int, name: str) -> None:
        self.id, self.name = id, name


REMAPPED = [Cat(1, "infra_slick"), Cat(2, "natural_seep"), Cat(3, "vessel")]


def test_cloud4_merges_vessels_and_removes_ambiguous() -> None:
    classes = ClassMap.build(TABLE, "cloud4")
    assert classes.names == ("background", "infra_slick", "natural_seep", "vessel")
    assert classes.category_ids == (0, 1, 2, 3)
    assert [classes.index(i) for i in range(1, 7)] == [1, 2, 3, 3, 3, None]
    assert classes.preset == "cloud4" and list(classes.oil) == [1, 2, 3]


def test_no_preset_keeps_the_dataset_categories() -> None:
    classes = ClassMap.build(TABLE, None)
    assert classes.names == ("background", *(c.name for c in TABLE))
    assert classes.num_classes == 7 and classes.index(6) == 6 and classes.preset is None


def test_a_dataset_remapped_at_build_time_maps_one_to_one() -> None:
    classes = ClassMap.build(REMAPPED, "cloud4")
    assert classes.lookup == {1: 1, 2: 2, 3: 3}
    # A remapped dataset that lacks a target class is still remapped (one rule).
    subset = ClassMap.build([Cat(1, "infra_slick"), Cat(3, "vessel")], "cloud4")
    assert subset.lookup == {1: 1, 2: 2, 3: 3} and subset.num_classes == 4
    # Id 3 named coincident_vessel is the raw table: it goes through the preset.
    assert not already_remapped([(1, "infra_slick"), (3, "coincident_vessel")], "cloud4")
    assert not already_remapped([], "cloud4")


def test_a_model_in_its_own_order() -> None:
    table = ClassMap.build(TABLE, "cloud4")
    model = table.for_model(("background", "vessel", "infra_slick"), (0, 3, 1), "bundle m")
    assert model.names == ("background", "vessel", "infra_slick")
    assert [model.index(i) for i in range(1, 7)] == [2, None, 1, 1, 1, None]
    assert model.index_of_target(3) == 1 and model.index_of_name("infra_slick") == 2
    assert model.index_of_target(2) is None and model.index_of_name("background") is None
    with pytest.raises(ClassNameError, match=r"bundle m: category ids \[9\] are not in the "
                                             r"dataset \(its categories after preset 'cloud4'"):
        table.for_model(("background", "kelp"), (0, 9), "bundle m")


def test_unknown_preset_and_json() -> None:
    with pytest.raises(ClassNameError, match="unknown remap preset 'cloud9'"):
        ClassMap.build(TABLE, "cloud9")
    doc = ClassMap.build(TABLE, "cloud4").to_json()
    assert doc["lookup"] == {"1": 1, "2": 2, "3": 3, "4": 3, "5": 3}
