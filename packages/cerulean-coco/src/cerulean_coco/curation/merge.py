"""``merge``: one dataset from several, with ids reassigned in canonical order.

Images are identified by their tile file name (scene id + tile index), so the same tile
in two inputs is a duplicate: refused unless the caller says whether the first or the
last input holding it wins. Inputs must share categories and build parameters, since a
dataset mixing tile sizes or class tables would mislead whoever trains on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from cerulean_coco.curation.writer import write_dataset
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.errors import MergeConflictError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.format.records import AnnotationRecord, ImageRecord

Prefer = Literal["error", "first", "last"]


def merge_datasets(
    sources: Sequence[Path], output: Path, *, prefer: Prefer = "error", overwrite: bool = False
) -> CocoDocument:
    """Merge dataset folders into ``output``.

    Args:
        sources: dataset folders, in priority order for ``prefer``.
        output: the merged dataset folder.
        prefer: what to do with an image present in several inputs: ``error`` refuses,
            ``first``/``last`` keep the one from the first/last input holding it.
        overwrite: replace ``output`` if it exists.

    Raises:
        MergeConflictError: fewer than two inputs, duplicates with ``error``, or inputs
            with different categories or build parameters.
    """
    if len(sources) < 2:
        raise MergeConflictError("merge needs at least two datasets")
    datasets = [CocoDataset.open(s) for s in sources]
    _check_compatible(datasets)
    order = list(range(len(datasets)))
    if prefer == "last":
        order.reverse()
    images: dict[str, tuple[int, ImageRecord]] = {}
    for index in order:
        for image in datasets[index].images:
            held = images.get(image.file_name)
            if held is not None:
                if prefer == "error":
                    raise MergeConflictError(
                        f"image {image.file_name} is in both {datasets[held[0]].root} and "
                        f"{datasets[index].root}; use --prefer first or --prefer last"
                    )
                continue
            images[image.file_name] = (index, image)
    merged_images: list[ImageRecord] = []
    merged_annotations: list[AnnotationRecord] = []
    tile_sources: dict[str, Path] = {}
    by_image = [d.document.annotations_by_image() for d in datasets]
    for new_id, (file_name, (index, image)) in enumerate(sorted(images.items()), start=1):
        merged_images.append(replace(image, id=new_id))
        tile_sources[file_name] = datasets[index].tile_path(image)
        merged_annotations.extend(replace(a, image_id=new_id, id=len(merged_annotations) + n)
                                  for n, a in enumerate(by_image[index].get(image.id, []), 1))
    manifest = _merge_manifests(datasets, order, set(images), tile_sources, prefer)
    document = CocoDocument(merged_images, merged_annotations, datasets[0].categories)
    return write_dataset(output, document, manifest, tile_sources, overwrite=overwrite)


def _check_compatible(datasets: list[CocoDataset]) -> None:
    first = datasets[0]
    for other in datasets[1:]:
        if first.categories != other.categories:
            raise MergeConflictError(
                f"{other.root} has categories {_names(other)}, {first.root} has {_names(first)}"
            )
        ours = first.manifest.parameters if first.manifest else None
        theirs = other.manifest.parameters if other.manifest else None
        if ours is not None and theirs is not None and ours != theirs:
            raise MergeConflictError(
                f"{other.root} was built with other parameters than {first.root}"
            )


def _merge_manifests(datasets: list[CocoDataset], order: list[int], image_files: set[str],
                     tile_sources: dict[str, Path], prefer: Prefer) -> Manifest:
    first = next((d.manifest for d in datasets if d.manifest is not None), None)
    merged = Manifest(kind="merge", parameters=first.parameters if first else None,
                      versions=first.versions if first else {})
    negatives: dict[str, ImageRecord] = {}
    for index in order:
        manifest = datasets[index].manifest
        if manifest is None:
            continue
        for scene_id, entry in manifest.scenes.items():
            merged.scenes.setdefault(scene_id, entry)
        for file_name, record in manifest.tiles.items():
            merged.tiles.setdefault(file_name, record)
        for image in manifest.negatives:
            if image.file_name not in image_files and image.file_name not in negatives:
                negatives[image.file_name] = image
                tile_sources[image.file_name] = datasets[index].tile_path(image)
    merged.negatives = sorted(negatives.values(), key=lambda im: im.sort_key)
    merged.history.append({"op": "merge", "sources": [str(d.root) for d in datasets],
                           "prefer": prefer})
    return merged


def _names(dataset: CocoDataset) -> str:
    return ", ".join(f"{c.id}:{c.name}" for c in dataset.categories)


__all__ = ["Prefer", "merge_datasets"]
