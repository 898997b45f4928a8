"""The evaluation's classes: cerulean-tiling's ClassMap with one-line errors."""

from __future__ import annotations

import pytest

from cerulean_coco import Category
from cerulean_eval import category_index, dataset_classes, model_classes, name_index
from cerulean_eval.errors import CategoryMismatchError
from cerulean_tiling import CLASSES

RAW = [Category(c.id, c.name) for c in CLASSES if c.id]


def test_dataset_categories_as_they_are() -> None:
    classes = dataset_classes(RAW)
    assert classes.names[0] == "background" and classes.num_classes == 7
    assert classes.index(6) == 6 and classes.preset is None


def test_cloud4_merges_vessels_and_removes_ambiguous() -> None:
    classes = dataset_classes(RAW, "cloud4")
    assert classes.names == ("background", "infra_slick", "natural_seep", "vessel")
    assert [classes.index(i) for i in range(1, 7)] == [1, 2, 3, 3, 3, None]
    # A dataset already remapped to cloud4 maps one to one, by the trainers' rule.
    remapped = [Category(1, "infra_slick"), Category(3, "vessel")]
    again = dataset_classes(remapped, "cloud4")
    assert again.names == classes.names and again.index(3) == 3


def test_model_classes_check_the_dataset() -> None:
    classes = model_classes(("background", "infra_slick", "natural_seep", "vessel"),
                            (0, 1, 2, 3), RAW, "cloud4")
    assert classes.index(5) == 3 and classes.index(6) is None
    with pytest.raises(CategoryMismatchError, match=r"category ids \[9\] are not in the dataset"):
        model_classes(("background", "x"), (0, 9), RAW, None, where="bundle m")
    with pytest.raises(CategoryMismatchError, match="unknown remap preset"):
        dataset_classes(RAW, "nope")
    with pytest.raises(CategoryMismatchError, match="preset 'cloud4' maps none"):
        dataset_classes([Category(6, "ambiguous")], "cloud4")


def test_lookups_name_the_culprit() -> None:
    classes = dataset_classes(RAW)
    assert category_index(classes, 2, "r.json") == 2 and name_index(classes, "ambiguous", "g") == 6
    with pytest.raises(CategoryMismatchError, match="results.json: category id 8 is not"):
        category_index(classes, 8, "results.json")
    with pytest.raises(CategoryMismatchError, match="s.geojson: class 'oil_rig' is not one of"):
        name_index(classes, "oil_rig", "s.geojson")
