"""The class table: the single source of truth for class ids, names and colours.

Ids are stable and are the COCO category ids; background (0) is implicit and never
a COCO category. Remap presets map the annotation classes onto the classes a model
is trained with; ``cloud4`` is the serving model's table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cerulean_tiling.errors import ClassNameError

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class SlickClass:
    """One annotation class: stable id, snake_case name, Photopea brush colour."""

    id: int
    name: str
    colour: RGB


BACKGROUND = SlickClass(0, "background", (0, 255, 255))

CLASSES: tuple[SlickClass, ...] = (
    BACKGROUND,
    SlickClass(1, "infra_slick", (0, 0, 255)),
    SlickClass(2, "natural_seep", (0, 255, 0)),
    SlickClass(3, "coincident_vessel", (255, 0, 0)),
    SlickClass(4, "recent_vessel", (255, 255, 0)),
    SlickClass(5, "old_vessel", (255, 0, 255)),
    SlickClass(6, "ambiguous", (255, 255, 255)),
)

_BY_ID = {c.id: c for c in CLASSES}
_BY_NAME = {c.name: c for c in CLASSES}
# Longest first, so "coincident_vessel" wins over a hypothetical "vessel".
_NAMES_LONGEST_FIRST = sorted(_BY_NAME, key=len, reverse=True)


@dataclass(frozen=True)
class RemapPreset:
    """A named class policy: which source ids merge into which target class.

    ``mapping`` sends source class ids to target ids; a source id absent from the
    mapping is removed. ``targets`` names the target classes (id -> name), background
    excluded.
    """

    name: str
    mapping: Mapping[int, int]
    targets: Mapping[int, str]
    description: str


PRESETS: dict[str, RemapPreset] = {
    "cloud4": RemapPreset(
        name="cloud4",
        mapping={1: 1, 2: 2, 3: 3, 4: 3, 5: 3},
        targets={1: "infra_slick", 2: "natural_seep", 3: "vessel"},
        description=(
            "The serving model's 4 classes: background, infra_slick, natural_seep, "
            "vessel (coincident/recent/old merged); ambiguous removed."
        ),
    ),
}


def by_id(class_id: int) -> SlickClass:
    """Return the class with this id, or raise :class:`ClassNameError`."""
    if class_id not in _BY_ID:
        raise ClassNameError(f"unknown class id {class_id!r}; known ids: {sorted(_BY_ID)}")
    return _BY_ID[class_id]


def by_name(name: str) -> SlickClass:
    """Return the class named ``name`` (case, spaces and hyphens ignored)."""
    key = normalise_name(name)
    if key not in _BY_NAME:
        raise ClassNameError(f"unknown class name {name!r}; known names: {', '.join(_BY_NAME)}")
    return _BY_NAME[key]


def normalise_name(text: str) -> str:
    """Lower-case ``text`` and turn runs of spaces, hyphens and dots into ``_``."""
    return re.sub(r"[\s\-.]+", "_", text.strip().lower())


def class_in_filename(stem: str) -> SlickClass | None:
    """Find a class name inside a layer file name stem, if any.

    Photopea exports name files after layers, so ``"Natural Seep 2"`` or
    ``"infra_slick-3"`` name their class; ``"Layer 4"`` names none. Background is
    never returned.
    """
    key = normalise_name(stem)
    for name in _NAMES_LONGEST_FIRST:
        if name != BACKGROUND.name and re.search(rf"(^|_){name}(_|\d|$)", key):
            return _BY_NAME[name]
    return None


def preset(name: str) -> RemapPreset:
    """Return the remap preset called ``name``."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ClassNameError(
            f"unknown remap preset {name!r}; known presets: {', '.join(PRESETS)}"
        ) from None

