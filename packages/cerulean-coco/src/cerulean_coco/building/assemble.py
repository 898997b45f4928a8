"""Assembling committed scene parts into the dataset's annotations and manifest.

Assembly reads only part files, in scene-id order, and writes the canonical document,
so the annotations do not depend on which scene finished first, on how many workers
ran, or on whether the build was interrupted and resumed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from cerulean_coco.building.parts import ScenePart
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.manifest import Manifest, SceneEntry, TileFile
from cerulean_coco.format.records import AnnotationRecord, ImageRecord, class_table_categories


def assemble_document(parts: Iterable[ScenePart]) -> CocoDocument:
    """The canonical COCO document of every tile with at least one instance."""
    images: list[ImageRecord] = []
    annotations: list[AnnotationRecord] = []
    for part in sorted(parts, key=lambda p: p.scene_id):
        for tile in part.tiles:
            if not tile.annotations:
                continue
            image_id = len(images) + 1
            images.append(replace(tile.image, id=image_id))
            annotations.extend(
                replace(a, id=len(annotations) + n, image_id=image_id)
                for n, a in enumerate(tile.annotations, start=1)
            )
    return CocoDocument(images, annotations, class_table_categories()).canonical()


def negatives(parts: Iterable[ScenePart]) -> list[ImageRecord]:
    """Image records (id 0) of the tiles without instances, in canonical order."""
    empty = [t.image for p in parts for t in p.tiles if not t.annotations]
    return sorted(empty, key=lambda im: im.sort_key)


def fill_manifest(manifest: Manifest, parts: Iterable[ScenePart]) -> None:
    """Record every committed scene, its tile files and its empty tiles in ``manifest``."""
    parts = sorted(parts, key=lambda p: p.scene_id)
    for part in parts:
        manifest.scenes[part.scene_id] = SceneEntry(
            scene_id=part.scene_id,
            status="built",
            path=part.scene_path,
            class_folder=part.class_folder,
            input_sha256=part.input_sha256,
            part_sha256=hashlib.sha256(part.dumps()).hexdigest(),
            tiles=len(part.tiles),
            instances=part.instance_count,
            empty_tiles=part.empty_count,
            seconds=round(part.seconds, 3),
        )
        for tile in part.tiles:
            manifest.tiles[tile.image.file_name] = TileFile(tile.file.bytes, tile.file.sha256)
    manifest.negatives = negatives(parts)


__all__ = ["assemble_document", "fill_manifest", "negatives"]
