"""The classes an evaluation scores: cerulean-tiling's :class:`~cerulean_tiling.ClassMap`.

Predictions and truth are compared as class *indices*: index 0 is background and index
``i ≥ 1`` the i-th evaluated class — the dataset's categories, a remap preset's targets,
or a model's outputs. The map is the one the trainers build their targets with, so the
truth an evaluation paints is the truth the model learnt: through a preset (``cloud4``)
each annotation's category goes to its target, an annotation whose class the preset
removes (``ambiguous``) is not painted, and a dataset already remapped maps one to one.
This module adds the evaluation's one-line errors around it.
"""

from __future__ import annotations

from collections.abc import Sequence

from cerulean_coco import Category
from cerulean_eval.errors import CategoryMismatchError
from cerulean_tiling import CeruleanTilingError, ClassMap


def dataset_classes(categories: Sequence[Category], preset_name: str | None = None) -> ClassMap:
    """The evaluated classes of a dataset, optionally through a remap preset.

    Raises:
        CategoryMismatchError: an unknown preset, or a dataset the preset maps none of.
    """
    try:
        classes = ClassMap.build(categories, preset_name)
    except CeruleanTilingError as exc:
        raise CategoryMismatchError(str(exc)) from None
    if categories and all(classes.index(c.id) is None for c in categories):
        raise CategoryMismatchError(f"preset {preset_name!r} maps none of the dataset's "
                                    f"categories {[c.id for c in categories]}")
    return classes


def model_classes(names: Sequence[str], category_ids: Sequence[int],
                  categories: Sequence[Category], preset_name: str | None,
                  where: str = "bundle") -> ClassMap:
    """The evaluated classes of a model whose outputs are ``names`` / ``category_ids``.

    Raises:
        CategoryMismatchError: the model predicts a category id the dataset lacks.
    """
    try:
        return dataset_classes(categories, preset_name).for_model(names, category_ids, where)
    except CeruleanTilingError as exc:
        raise CategoryMismatchError(str(exc)) from None


def category_index(classes: ClassMap, category_id: int, where: str) -> int:
    """The class index of a predicted category id.

    Raises:
        CategoryMismatchError: the id is not an evaluated class.
    """
    index = classes.index_of_target(category_id)
    if index is None:
        known = dict(zip(classes.category_ids[1:], classes.names[1:], strict=True))
        raise CategoryMismatchError(f"{where}: category id {category_id} is not in the "
                                    f"dataset's evaluated classes {known}")
    return index


def name_index(classes: ClassMap, name: str, where: str) -> int:
    """The class index of a class name (a GeoJSON ``class`` property).

    Raises:
        CategoryMismatchError: the name is not an evaluated class.
    """
    index = classes.index_of_name(name)
    if index is None:
        raise CategoryMismatchError(f"{where}: class {name!r} is not one of "
                                    f"{', '.join(classes.names[1:])}")
    return index


__all__ = ["category_index", "dataset_classes", "model_classes", "name_index"]
