"""The classes an evaluation scores, and how dataset categories map onto them.

Predictions and truth are compared as class *indices*: index 0 is background and
index ``i ≥ 1`` is the i-th evaluated class. The evaluated classes are either the
dataset's categories (in id order), a remap preset's targets, or a bundle's classes.

When the model predicts fewer classes than the dataset was annotated with (a
``cloud4`` model against the 6-class table), the preset is applied to the ground
truth: each annotation's category id goes through the preset's mapping, and an
annotation whose class the preset removes (``ambiguous``) is not painted at all, so
its pixels stay whatever lies beneath (background unless another annotation covers
them). A dataset whose categories already are the preset's targets is used as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cerulean_coco import Category
from cerulean_eval.errors import CategoryMismatchError
from cerulean_tiling import BACKGROUND, CeruleanTilingError, RemapPreset, preset


@dataclass(frozen=True)
class EvalClasses:
    """The evaluated class table and the map from dataset category ids onto it.

    Attributes:
        names: class name per index; ``names[0]`` is ``background``.
        category_ids: category id per index (0 for background); predictions name
            classes by these ids (COCO results) or by index (rasters, model outputs).
        truth_map: dataset category id → class index; ids absent are not painted.
        preset: the remap preset applied to the truth, or None.
    """

    names: tuple[str, ...]
    category_ids: tuple[int, ...]
    truth_map: Mapping[int, int]
    preset: str | None = None

    @property
    def n(self) -> int:
        """Number of classes K, background included."""
        return len(self.names)

    @property
    def oil(self) -> range:
        """The oil class indices (every class but background)."""
        return range(1, self.n)

    def truth_index(self, category_id: int) -> int | None:
        """The class index a dataset annotation of ``category_id`` is painted as."""
        return self.truth_map.get(category_id)

    def index_of_category(self, category_id: int, where: str) -> int:
        """The class index of a predicted category id.

        Raises:
            CategoryMismatchError: the id is not an evaluated class.
        """
        try:
            return self.category_ids.index(category_id, 1)
        except ValueError:
            raise CategoryMismatchError(
                f"{where}: category id {category_id} is not in the dataset's evaluated "
                f"classes {dict(zip(self.category_ids[1:], self.names[1:], strict=True))}"
            ) from None

    def index_of_name(self, name: str, where: str) -> int:
        """The class index of a class name (GeoJSON ``class`` property)."""
        try:
            return self.names.index(name, 1)
        except ValueError:
            raise CategoryMismatchError(
                f"{where}: class {name!r} is not one of {', '.join(self.names[1:])}") from None

    def to_json(self) -> dict[str, object]:
        """JSON form written into metrics.json."""
        return {"names": list(self.names), "category_ids": list(self.category_ids),
                "preset": self.preset,
                "truth_map": {str(k): v for k, v in sorted(self.truth_map.items())}}


def dataset_classes(categories: Sequence[Category], preset_name: str | None = None) -> EvalClasses:
    """The evaluated classes of a dataset, optionally through a remap preset.

    Raises:
        CategoryMismatchError: an unknown preset, or a dataset the preset cannot map.
    """
    cats = sorted(categories, key=lambda c: c.id)
    if preset_name is None or _already_remapped(cats, preset_name):
        ids = tuple(c.id for c in cats)
        return EvalClasses((BACKGROUND.name, *(c.name for c in cats)), (0, *ids),
                           {cid: i for i, cid in enumerate(ids, start=1)}, None)
    remap = _preset(preset_name)
    targets = sorted(remap.targets)
    index = {tid: i for i, tid in enumerate(targets, start=1)}
    truth_map = {c.id: index[remap.mapping[c.id]] for c in cats if c.id in remap.mapping}
    if not truth_map:
        raise CategoryMismatchError(f"preset {preset_name!r} maps none of the dataset's "
                                    f"categories {[c.id for c in cats]}")
    return EvalClasses((BACKGROUND.name, *(remap.targets[t] for t in targets)),
                       (0, *targets), truth_map, preset_name)


def model_classes(names: Sequence[str], category_ids: Sequence[int],
                  categories: Sequence[Category], preset_name: str | None,
                  where: str = "bundle") -> EvalClasses:
    """The evaluated classes for a model whose outputs are ``names`` / ``category_ids``.

    The dataset's categories (through ``preset_name`` when they are not yet remapped)
    must hold every category id the model predicts.

    Raises:
        CategoryMismatchError: the model predicts a category id the dataset lacks.
    """
    table = dataset_classes(categories, preset_name)
    missing = [cid for cid in category_ids[1:] if cid not in table.category_ids[1:]]
    if missing:
        raise CategoryMismatchError(
            f"{where}: category ids {missing} are not in the dataset "
            f"(its categories{' after preset ' + repr(preset_name) if table.preset else ''}: "
            f"{list(table.category_ids[1:])})")
    position = {cid: i for i, cid in enumerate(category_ids)}
    truth_map = {cat: position[table.category_ids[i]] for cat, i in table.truth_map.items()
                 if table.category_ids[i] in position}
    return EvalClasses(tuple(names), tuple(category_ids), truth_map, table.preset)


def _already_remapped(cats: Sequence[Category], preset_name: str) -> bool:
    remap = _preset(preset_name)
    return {c.id: c.name for c in cats} == dict(remap.targets)


def _preset(name: str) -> RemapPreset:
    try:
        return preset(name)
    except CeruleanTilingError as exc:
        raise CategoryMismatchError(str(exc)) from None


__all__ = ["EvalClasses", "dataset_classes", "model_classes"]
