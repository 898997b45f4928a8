"""The class map: how a dataset's categories become a model's output classes.

One type for every stage: the trainers build their targets with it, cerulean-eval paints
the truth with it, and cerulean-infer names a production model's classes with it. A model's
class list is ``["background", *targets]``: index 0 is background, then the target classes
in id order, and ``category_ids`` gives each index's target category id.

- **No preset:** the dataset's categories are the targets, one to one.
- **A remap preset** (``cloud4``): each dataset category is sent to its preset target
  (coincident, recent and old vessels all become ``vessel``); a category the preset leaves
  out (``ambiguous``) maps to nothing — its pixels are background, its instances dropped.
- **Already remapped:** a dataset whose every category *is* one of the preset's targets
  (same id, same name) was remapped when it was built; it maps one to one onto the
  targets. This is the only rule for "already remapped", whatever the stage.

The categories may be any objects with ``id`` and ``name`` (cerulean-coco's ``Category``,
the class table's :class:`~cerulean_tiling.classes.SlickClass`), so this module needs
neither COCO nor torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cerulean_tiling.classes import BACKGROUND, preset
from cerulean_tiling.errors import ClassNameError


class CategoryLike(Protocol):
    """A dataset category: a class id and its name."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class ClassMap:
    """Dataset category id → model output index.

    Attributes:
        names: model output index → class name (``names[0] == "background"``).
        category_ids: model output index → target category id (0 for background).
        lookup: dataset category id → model output index; ids absent are removed.
        preset: the remap preset the map goes through, or None.
    """

    names: tuple[str, ...]
    category_ids: tuple[int, ...]
    lookup: Mapping[int, int]
    preset: str | None = None

    @property
    def num_classes(self) -> int:
        """Number of model outputs, background included."""
        return len(self.names)

    @property
    def oil(self) -> range:
        """The oil class indices (every output but background)."""
        return range(1, self.num_classes)

    def index(self, category_id: int) -> int | None:
        """The model index of a dataset category, or None when the map removes it."""
        return self.lookup.get(category_id)

    def index_of_target(self, category_id: int) -> int | None:
        """The model index whose target category id is ``category_id`` (None if none)."""
        try:
            return self.category_ids.index(category_id, 1)
        except ValueError:
            return None

    def index_of_name(self, name: str) -> int | None:
        """The model index of an oil class called ``name`` (None if none)."""
        try:
            return self.names.index(name, 1)
        except ValueError:
            return None

    @classmethod
    def build(cls, categories: Iterable[CategoryLike], preset_name: str | None) -> ClassMap:
        """The class map of a dataset with ``categories`` under ``preset_name``.

        Raises:
            ClassNameError: an unknown preset.
        """
        cats = sorted((c.id, c.name) for c in categories if c.id != BACKGROUND.id)
        if preset_name is None:
            return cls(names=(BACKGROUND.name, *(name for _, name in cats)),
                       category_ids=(0, *(i for i, _ in cats)),
                       lookup={cid: k + 1 for k, (cid, _) in enumerate(cats)})
        remap = preset(preset_name)
        target_ids = sorted(remap.targets)
        position = {tid: k + 1 for k, tid in enumerate(target_ids)}
        mapping = ({tid: tid for tid in target_ids} if already_remapped(cats, preset_name)
                   else dict(remap.mapping))
        return cls(names=(BACKGROUND.name, *(remap.targets[t] for t in target_ids)),
                   category_ids=(0, *target_ids),
                   lookup={src: position[dst] for src, dst in mapping.items()
                           if dst in position},
                   preset=preset_name)

    def for_model(self, names: Sequence[str], category_ids: Sequence[int],
                  where: str = "model") -> ClassMap:
        """This map re-indexed to a model's outputs ``names`` / ``category_ids``.

        A model may predict its classes in another order than this map, or fewer of them;
        every category id it predicts must be one of this map's targets.

        Raises:
            ClassNameError: the model predicts a category id this map does not have.
        """
        missing = [cid for cid in category_ids[1:] if cid not in self.category_ids[1:]]
        if missing:
            after = f" after preset {self.preset!r}" if self.preset else ""
            raise ClassNameError(f"{where}: category ids {missing} are not in the dataset "
                                 f"(its categories{after}: {list(self.category_ids[1:])})")
        position = {cid: i for i, cid in enumerate(category_ids)}
        lookup = {src: position[self.category_ids[i]] for src, i in self.lookup.items()
                  if self.category_ids[i] in position}
        return ClassMap(tuple(names), tuple(category_ids), lookup, self.preset)

    def to_json(self) -> dict[str, Any]:
        """JSON form (``lookup`` keys as strings, as JSON requires)."""
        return {"names": list(self.names), "category_ids": list(self.category_ids),
                "preset": self.preset,
                "lookup": {str(k): v for k, v in sorted(self.lookup.items())}}


def already_remapped(categories: Iterable[tuple[int, str]], preset_name: str) -> bool:
    """Whether every ``(id, name)`` category is one of the preset's targets (and any exist).

    Raises:
        ClassNameError: an unknown preset.
    """
    targets = preset(preset_name).targets
    cats = list(categories)
    return bool(cats) and all(targets.get(cid) == name for cid, name in cats)


__all__ = ["CategoryLike", "ClassMap", "already_remapped"]
