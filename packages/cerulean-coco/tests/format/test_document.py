from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from cerulean_coco.errors import DatasetReadError
from cerulean_coco.format import rle
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.records import AnnotationRecord, ImageRecord, class_table_categories


def _image(image_id: int, scene: str, x: int) -> ImageRecord:
    return ImageRecord(
        id=image_id, file_name=f"tiles/{scene}_9_{x}_10.tif", width=8, height=6,
        scene_id=scene, class_folder="infra_slick", grid="tms", tile_index=(9, x, 10),
        bounds=(x, 0.0, x + 1.0, 1.0), channels=("vv",),
    )


def _annotation(ann_id: int, image_id: int, index: int, seed: int) -> AnnotationRecord:
    mask = np.random.default_rng(seed).random((6, 8)) < 0.4
    encoded = rle.encode(mask)
    return AnnotationRecord(ann_id, image_id, 1 + index % 6, encoded, rle.area(encoded),
                            rle.bbox(encoded), f"Layer {index}.png", index)


def _document(seed: int) -> CocoDocument:
    """The same content with arbitrary ids and a shuffled order for each seed."""
    rng = random.Random(seed)
    keys = [("S1A_B", 3), ("S1A_A", 5), ("S1A_A", 4), ("S1A_C", 1)]
    ids = rng.sample(range(100, 200), len(keys))
    images = [_image(i, s, x) for i, (s, x) in zip(ids, keys, strict=True)]
    annotations = []
    for position, image in enumerate(images):
        for index in range(3):
            annotations.append(_annotation(rng.randrange(10**6), image.id, index,
                                           10 * position + index))
    rng.shuffle(images)
    rng.shuffle(annotations)
    return CocoDocument(images, annotations, class_table_categories()[::-1])


def test_canonical_form_is_independent_of_ids_and_order() -> None:
    first, second = _document(1).canonical(), _document(2).canonical()
    assert first.dumps() == second.dumps()
    assert [im.id for im in first.images] == [1, 2, 3, 4]
    assert [im.sort_key for im in first.images] == sorted(im.sort_key for im in first.images)
    assert [a.id for a in first.annotations] == list(range(1, 13))
    image_of = [a.image_id for a in first.annotations]
    assert image_of == sorted(image_of)
    assert [c.id for c in first.categories] == [1, 2, 3, 4, 5, 6]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    document = _document(3).canonical()
    document.save(tmp_path / "annotations.json")
    loaded = CocoDocument.load(tmp_path / "annotations.json")
    assert loaded.dumps() == document.dumps()
    assert loaded.images == document.images
    assert loaded.annotations == document.annotations


def test_load_errors_are_one_line_and_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    with pytest.raises(DatasetReadError,
                       match=r"annotations.json: cannot read COCO document \(No such file"):
        CocoDocument.load(path)
    path.write_text('{"images": [')
    with pytest.raises(DatasetReadError,
                       match=r"annotations.json: COCO document is not valid JSON \(.* line 1"):
        CocoDocument.load(path)
    path.write_text(json.dumps({"images": [], "annotations": []}))
    with pytest.raises(DatasetReadError, match="'categories' section"):
        CocoDocument.load(path)
    data = _document(4).canonical().to_json()
    del data["images"][2]["width"]
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetReadError) as caught:
        CocoDocument.load(path)
    assert "images[2] is malformed (missing 'width')" in str(caught.value)
    assert "\n" not in str(caught.value)
