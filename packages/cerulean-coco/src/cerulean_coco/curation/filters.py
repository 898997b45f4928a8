"""``filter``: a new dataset from an existing one, with class policies and negatives.

Steps run in a fixed order, every class name referring to the input's categories:
drop images with a class, remove classes, remap (or apply a preset), drop small
instances, then add negative tiles drawn from the build's record of empty tiles.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cerulean_coco.curation.classpolicy import apply_preset, drop_images_with, remap, remove_classes
from cerulean_coco.curation.writer import write_dataset
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.errors import ClassPolicyError, DatasetReadError, NegativesError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.format.records import ImageRecord


@dataclass(frozen=True)
class FilterSpec:
    """What ``filter`` does (written into the output manifest's history).

    Attributes:
        remove: classes whose annotations are dropped (images stay).
        drop_images_with: classes whose images are dropped whole.
        remap: ``SOURCE=TARGET`` remaps.
        preset: a named remap preset (``cloud4``); not combined with ``remap``.
        min_area: instances smaller than this many pixels are dropped.
        negatives: number of empty tiles to add as images without annotations.
        seed: seed for drawing negatives.
    """

    remove: tuple[str, ...] = ()
    drop_images_with: tuple[str, ...] = ()
    remap: tuple[str, ...] = ()
    preset: str | None = None
    min_area: int = 0
    negatives: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.preset and self.remap:
            raise ClassPolicyError("--preset and --remap cannot be combined; use one")
        if self.min_area < 0:
            raise ClassPolicyError(f"--min-area {self.min_area} is negative")
        if self.negatives < 0:
            raise NegativesError(f"--negatives {self.negatives} is negative")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        for key in ("remove", "drop_images_with", "remap"):
            data[key] = list(data[key])
        return data


def filter_document(
    document: CocoDocument, spec: FilterSpec, pool: list[ImageRecord]
) -> tuple[CocoDocument, list[ImageRecord]]:
    """Apply ``spec`` to a document; ``pool`` holds the empty tiles negatives come from.

    Returns:
        The filtered document and the negatives it gained.

    Raises:
        ClassPolicyError: an unknown class, a bad remap or an inapplicable preset.
        NegativesError: more negatives asked for than the pool holds.
    """
    if spec.drop_images_with:
        document = drop_images_with(document, list(spec.drop_images_with))
    if spec.remove:
        document = remove_classes(document, list(spec.remove))
    if spec.preset:
        document = apply_preset(document, spec.preset)
    if spec.remap:
        document = remap(document, list(spec.remap))
    if spec.min_area:
        document = replace(document, annotations=[
            a for a in document.annotations if a.area >= spec.min_area
        ])
    added = draw_negatives(document, pool, spec.negatives, spec.seed)
    if added:
        first = max((im.id for im in document.images), default=0) + 1
        document = replace(document, images=document.images + [
            replace(im, id=first + n) for n, im in enumerate(added)
        ])
    return document, added


def draw_negatives(
    document: CocoDocument, pool: list[ImageRecord], count: int, seed: int
) -> list[ImageRecord]:
    """Draw ``count`` empty tiles not yet in ``document``, reproducibly for ``seed``."""
    if count == 0:
        return []
    present = {im.file_name for im in document.images}
    candidates = sorted((im for im in pool if im.file_name not in present),
                        key=lambda im: im.sort_key)
    if count > len(candidates):
        raise NegativesError(
            f"--negatives {count} asks for more empty tiles than the build recorded "
            f"({len(candidates)} available)"
        )
    chosen = random.Random(seed).sample(candidates, count)
    return sorted(chosen, key=lambda im: im.sort_key)


def filter_dataset(source: Path, output: Path, spec: FilterSpec, *,
                   overwrite: bool = False) -> CocoDocument:
    """Write the filtered copy of the dataset ``source`` to ``output``.

    Tiles are hard-linked (copied across filesystems); the output manifest keeps the
    build's record, notes the filter in its history, and keeps as negatives pool the
    empty tiles not added.

    Raises:
        DatasetReadError: ``source`` is not a readable dataset.
    """
    dataset = CocoDataset.open(source)
    manifest = dataset.manifest
    if manifest is None:
        if spec.negatives:
            raise DatasetReadError(f"{dataset.root}: has no manifest.json to draw negatives from")
        manifest = Manifest(kind="filter", parameters=None)
    document, added = filter_document(dataset.document, spec, manifest.negatives)
    taken = {im.file_name for im in added}
    manifest.kind = "filter"
    manifest.negatives = [im for im in manifest.negatives if im.file_name not in taken]
    manifest.history.append({"op": "filter", "source": str(dataset.root), **spec.to_dict()})
    files = {im.file_name for im in document.images} | {im.file_name for im in manifest.negatives}
    sources = {name: dataset.file_path(name) for name in files}
    return write_dataset(output, document, manifest, sources, overwrite=overwrite)


__all__ = ["FilterSpec", "draw_negatives", "filter_dataset", "filter_document"]
