"""Class maps: the cloud4 remap at load time, no preset, already remapped datasets."""

from __future__ import annotations

import pytest

from cerulean_coco import Category
from cerulean_tiling import BACKGROUND, CLASSES
from cerulean_train.data.classes import ClassMap
from cerulean_train.errors import ConfigError

TABLE = [Category(c.id, c.name) for c in CLASSES if c.id != BACKGROUND.id]


def test_cloud4_merges_vessels_and_removes_ambiguous() -> None:
    classes = ClassMap.build(TABLE, "cloud4")
    assert classes.names == ("background", "infra_slick", "natural_seep", "vessel")
    assert classes.category_ids == (0, 1, 2, 3)
    assert [classes.index(i) for i in range(1, 7)] == [1, 2, 3, 3, 3, None]


def test_no_preset_keeps_the_dataset_categories() -> None:
    classes = ClassMap.build(TABLE, None)
    assert classes.names == ("background", *(c.name for c in TABLE))
    assert classes.num_classes == 7 and classes.index(6) == 6


def test_a_dataset_remapped_at_build_time_maps_one_to_one() -> None:
    remapped = [Category(1, "infra_slick"), Category(2, "natural_seep"), Category(3, "vessel")]
    classes = ClassMap.build(remapped, "cloud4")
    assert classes.lookup == {1: 1, 2: 2, 3: 3}


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="unknown classes preset 'cloud9'"):
        ClassMap.build(TABLE, "cloud9")
