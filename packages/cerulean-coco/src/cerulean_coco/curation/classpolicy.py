"""Class policies on a document: naming classes, removing them, remapping them.

Class names given by users are matched against the dataset's categories ignoring case,
spaces and hyphens (``"Natural Seep"`` = ``natural_seep``); a category id also works.
A remap ``A=B`` sends category A's annotations to B, where B is a category of the
dataset or a class of the class table; a preset (``cloud4``) maps class-table ids onto
the preset's targets and removes the classes it does not map.
"""

from __future__ import annotations

from dataclasses import replace

from cerulean_coco.errors import ClassPolicyError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.records import Category
from cerulean_tiling import CLASSES, normalise_name
from cerulean_tiling import preset as find_preset
from cerulean_tiling.errors import ClassNameError


def resolve(name: str, categories: list[Category]) -> Category:
    """The category ``name`` (or id) refers to.

    Raises:
        ClassPolicyError: no category matches.
    """
    key = normalise_name(name)
    for category in categories:
        if normalise_name(category.name) == key or (key.isdigit() and int(key) == category.id):
            return category
    known = ", ".join(c.name for c in categories)
    raise ClassPolicyError(f"unknown class {name!r}; this dataset's classes: {known}")


def parse_remap(text: str, categories: list[Category]) -> tuple[Category, Category]:
    """Parse ``SOURCE=TARGET`` into the source category and the target category.

    Raises:
        ClassPolicyError: malformed text, unknown source, or an unknown target.
    """
    source_name, sep, target_name = text.partition("=")
    if not sep or not source_name.strip() or not target_name.strip():
        raise ClassPolicyError(
            f"bad remap {text!r}: expected SOURCE=TARGET, e.g. old_vessel=recent_vessel"
        )
    source = resolve(source_name, categories)
    try:
        return source, resolve(target_name, categories)
    except ClassPolicyError:
        pass
    key = normalise_name(target_name)
    for cls in CLASSES[1:]:
        if cls.name == key:
            clash = [c for c in categories if c.id == cls.id]
            if clash:
                raise ClassPolicyError(
                    f"bad remap {text!r}: class id {cls.id} of {cls.name} is taken by "
                    f"{clash[0].name} in this dataset"
                )
            return source, Category(cls.id, cls.name)
    known = ", ".join([c.name for c in categories] + [c.name for c in CLASSES[1:]])
    raise ClassPolicyError(f"bad remap {text!r}: unknown target {target_name!r}; known: {known}")


def remove_classes(document: CocoDocument, names: list[str]) -> CocoDocument:
    """Drop the annotations (and categories) of the named classes; images stay."""
    ids = {resolve(n, document.categories).id for n in names}
    return replace(
        document,
        annotations=[a for a in document.annotations if a.category_id not in ids],
        categories=[c for c in document.categories if c.id not in ids],
    )


def drop_images_with(document: CocoDocument, names: list[str]) -> CocoDocument:
    """Drop every image holding an instance of a named class, with all its annotations."""
    ids = {resolve(n, document.categories).id for n in names}
    bad = {a.image_id for a in document.annotations if a.category_id in ids}
    return replace(
        document,
        images=[im for im in document.images if im.id not in bad],
        annotations=[a for a in document.annotations if a.image_id not in bad],
    )


def remap(document: CocoDocument, remaps: list[str]) -> CocoDocument:
    """Apply ``SOURCE=TARGET`` remaps, all resolved against the input categories."""
    mapping: dict[int, Category] = {}
    for text in remaps:
        source, target = parse_remap(text, document.categories)
        if source.id in mapping and mapping[source.id] != target:
            raise ClassPolicyError(f"bad remap {text!r}: {source.name} is remapped twice")
        mapping[source.id] = target
    kept = {c.id: c for c in document.categories if c.id not in mapping}
    for target in mapping.values():
        kept.setdefault(target.id, target)
    return replace(
        document,
        annotations=[
            replace(a, category_id=mapping[a.category_id].id) if a.category_id in mapping else a
            for a in document.annotations
        ],
        categories=sorted(kept.values(), key=lambda c: c.id),
    )


def apply_preset(document: CocoDocument, name: str) -> CocoDocument:
    """Map class-table categories onto a preset's targets (unmapped classes removed).

    Raises:
        ClassPolicyError: unknown preset, or categories that are not the class table's.
    """
    try:
        chosen = find_preset(name)
    except ClassNameError as exc:
        raise ClassPolicyError(str(exc)) from None
    table = {(c.id, c.name) for c in CLASSES}
    foreign = [c for c in document.categories if (c.id, c.name) not in table]
    if foreign:
        raise ClassPolicyError(
            f"preset {name!r} maps class-table classes, but this dataset has "
            f"{foreign[0].name!r} (id {foreign[0].id}); apply it to the built dataset"
        )
    return replace(
        document,
        annotations=[
            replace(a, category_id=chosen.mapping[a.category_id])
            for a in document.annotations if a.category_id in chosen.mapping
        ],
        categories=[Category(i, n) for i, n in sorted(chosen.targets.items())],
    )


__all__ = ["apply_preset", "drop_images_with", "parse_remap", "remap", "remove_classes",
           "resolve"]
