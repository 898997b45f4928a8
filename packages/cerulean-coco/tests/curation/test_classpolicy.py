from __future__ import annotations

import pytest

from cerulean_coco.curation.classpolicy import apply_preset, parse_remap, remap, resolve
from cerulean_coco.errors import ClassPolicyError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.records import Category, class_table_categories


def test_resolve_ignores_case_spaces_and_takes_ids() -> None:
    categories = class_table_categories()
    assert resolve("Natural Seep", categories).id == 2
    assert resolve("old-vessel", categories).id == 5
    assert resolve("3", categories).name == "coincident_vessel"
    with pytest.raises(ClassPolicyError, match="unknown class 'slick'"):
        resolve("slick", categories)


@pytest.mark.parametrize(
    ("text", "message"),
    [("old_vessel", "expected SOURCE=TARGET"), ("=infra_slick", "expected SOURCE=TARGET"),
     ("old_vessel=", "expected SOURCE=TARGET"), ("boat=infra_slick", "unknown class 'boat'"),
     ("old_vessel=ship", "unknown target 'ship'")],
)
def test_bad_remaps_name_the_value(text: str, message: str) -> None:
    with pytest.raises(ClassPolicyError, match=message):
        parse_remap(text, class_table_categories())


def test_remap_to_a_class_table_class_absent_from_the_dataset() -> None:
    categories = [Category(1, "infra_slick"), Category(5, "old_vessel")]
    source, target = parse_remap("old_vessel=recent_vessel", categories)
    assert (source.id, target.id, target.name) == (5, 4, "recent_vessel")
    document = remap(CocoDocument([], [], categories), ["old_vessel=recent_vessel"])
    assert [(c.id, c.name) for c in document.categories] == [(1, "infra_slick"),
                                                             (4, "recent_vessel")]


def test_preset_refuses_non_class_table_categories() -> None:
    document = apply_preset(CocoDocument([], [], class_table_categories()), "cloud4")
    assert [(c.id, c.name) for c in document.categories] == [
        (1, "infra_slick"), (2, "natural_seep"), (3, "vessel")]
    with pytest.raises(ClassPolicyError, match="'vessel' \\(id 3\\)"):
        apply_preset(document, "cloud4")
    with pytest.raises(ClassPolicyError, match="unknown remap preset 'cloud5'"):
        apply_preset(document, "cloud5")
