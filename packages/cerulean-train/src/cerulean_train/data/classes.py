"""Model classes: how a dataset's categories become the model's output indexes.

The model's class list is ``["background", *targets]``: index 0 is background, then
the target classes in id order. With a remap preset (``cloud4``), each source category
is sent to its preset target when annotations are loaded, and categories the preset
leaves out (``ambiguous``) are removed: their pixels count as background and their
instances are dropped. Without a preset, the dataset's categories are the targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cerulean_coco import Category
from cerulean_tiling import BACKGROUND, PRESETS
from cerulean_train.errors import ConfigError


@dataclass(frozen=True)
class ClassMap:
    """Dataset category id → model output index.

    Attributes:
        names: model output index → class name (``names[0] == "background"``).
        category_ids: model output index → target category id (0 for background).
        lookup: source category id → model output index; ids absent are removed.
        preset: the remap preset applied, or None.
    """

    names: tuple[str, ...]
    category_ids: tuple[int, ...]
    lookup: dict[int, int]
    preset: str | None = None

    @property
    def num_classes(self) -> int:
        """Number of model outputs, background included."""
        return len(self.names)

    def index(self, category_id: int) -> int | None:
        """The model index of a source category, or None when it is removed."""
        return self.lookup.get(category_id)

    @classmethod
    def build(cls, categories: Sequence[Category], preset: str | None) -> ClassMap:
        """The class map of a dataset with ``categories`` under ``preset``.

        A dataset whose categories already are the preset's targets (remapped when it
        was built) is mapped one to one.

        Raises:
            ConfigError: an unknown preset.
        """
        if preset is None:
            targets = sorted((c.id, c.name) for c in categories if c.id != BACKGROUND.id)
            return cls(
                names=(BACKGROUND.name, *(name for _, name in targets)),
                category_ids=(0, *(i for i, _ in targets)),
                lookup={cid: k + 1 for k, (cid, _) in enumerate(targets)},
            )
        try:
            remap = PRESETS[preset]
        except KeyError:
            raise ConfigError(f"unknown classes preset {preset!r}; known: "
                              f"{', '.join(PRESETS)}") from None
        target_ids = sorted(remap.targets)
        position = {tid: k + 1 for k, tid in enumerate(target_ids)}
        already = bool(categories) and all(remap.targets.get(c.id) == c.name
                                           for c in categories)
        mapping = {tid: tid for tid in target_ids} if already else dict(remap.mapping)
        return cls(
            names=(BACKGROUND.name, *(remap.targets[t] for t in target_ids)),
            category_ids=(0, *target_ids),
            lookup={src: position[dst] for src, dst in mapping.items() if dst in position},
            preset=preset,
        )


__all__ = ["ClassMap"]
