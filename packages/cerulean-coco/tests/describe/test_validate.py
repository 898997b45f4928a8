from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from cerulean_coco.building.build import BuildReport
from cerulean_coco.describe.validate import validate_dataset


def test_built_dataset_is_valid(built: BuildReport) -> None:
    assert validate_dataset(built.dataset, checksums=True) == []


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads((path / "annotations.json").read_text())
    change(data)
    (path / "annotations.json").write_text(json.dumps(data))


def _set(section: str, index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[section][index][key] = value
    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("annotations", 0, "image_id", 9999), "image_id 9999 is not an image"),
        (_set("annotations", 1, "category_id", 42), "category_id 42 is not a category"),
        (_set("annotations", 0, "id", 2), "duplicate annotation id 2"),
        (_set("annotations", 0, "segmentation", {"size": [512, 512], "counts": "0P"}),
         "ends inside a run"),
        (_set("annotations", 0, "segmentation", {"size": [512, 500], "counts": "0"}),
         "RLE runs cover 0 pixels"),
        (_set("annotations", 0, "area", 1), "differs from the mask's"),
        (_set("annotations", 0, "bbox", [1, 2]), "is not [x, y, w, h]"),
        (_set("annotations", 0, "iscrowd", 1), "iscrowd is 1"),
        (_set("images", 0, "width", 256), "is 512x512, the record says 256x512"),
        (_set("images", 0, "channels", ["vv", "constant"]), "has 1 band(s)"),
        (_set("images", 0, "bounds", [1, 1, 0, 0]), "are not [west, south, east, north]"),
        (_set("images", 0, "file_name", "tiles/nope.tif"), "nope.tif is missing"),
        (_set("images", 0, "height", "512"), "height '512' has the wrong type"),
        (_set("categories", 0, "id", 7), "'infra_slick' has id 7, the class table says 1"),
        (_set("categories", 0, "name", "background"), "background is implicit"),
        (lambda d: d.pop("categories"), "missing or non-list 'categories'"),
    ],
)
def test_each_corruption_is_reported(dataset_copy: Path, change: Callable[[dict[str, Any]], None],
                                     message: str) -> None:
    _edit(dataset_copy, change)
    problems = [str(p) for p in validate_dataset(dataset_copy)]
    assert any(message in p for p in problems), problems


def test_every_problem_is_listed(dataset_copy: Path) -> None:
    data = json.loads((dataset_copy / "annotations.json").read_text())
    for ann in data["annotations"][:3]:
        ann["category_id"] = 99
    (dataset_copy / "annotations.json").write_text(json.dumps(data))
    missing = dataset_copy / data["images"][1]["file_name"]
    missing.unlink()
    problems = [str(p) for p in validate_dataset(dataset_copy)]
    assert sum("category_id 99" in p for p in problems) == 3
    assert sum(missing.name in p for p in problems) == 1


def test_tiles_that_differ_from_the_record(dataset_copy: Path) -> None:
    data = json.loads((dataset_copy / "annotations.json").read_text())
    tile = dataset_copy / data["images"][0]["file_name"]
    with rasterio.open(tile, "r+") as dst:
        dst.write(np.full((1, dst.height, dst.width), 7, np.uint8))
    problems = [str(p) for p in validate_dataset(dataset_copy, checksums=True)]
    assert any("bytes, recorded" in p or "sha256" in p for p in problems), problems
    tile.write_bytes(b"garbage")
    problems = [str(p) for p in validate_dataset(dataset_copy)]
    assert any("unreadable" in p for p in problems), problems


def test_unreadable_annotations_is_one_problem(dataset_copy: Path) -> None:
    (dataset_copy / "annotations.json").write_text("{not json")
    problems = validate_dataset(dataset_copy)
    assert len(problems) == 1 and "COCO document is not valid JSON" in str(problems[0])
