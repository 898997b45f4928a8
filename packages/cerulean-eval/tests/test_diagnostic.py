"""The raw per-tile diagnostic: nodata left out, the truth raster's overlap rule."""

from __future__ import annotations

import numpy as np

from cerulean_coco import Category, ImageRecord
from cerulean_eval import EvalConfig, TileDiagnostic, TruthInstance, dataset_classes, from_raster
from cerulean_eval.truth import truth_raster


def image(image_id: int = 1) -> ImageRecord:
    return ImageRecord(image_id, f"tiles/t{image_id}.tif", 16, 16, "S", "c", "pixel", (0, 0),
                       (10.0, 0.0, 10.016, 0.016), ("vv",))


def test_nodata_pixels_are_left_out_of_the_raw_pixels() -> None:
    classes = dataset_classes([Category(1, "infra_slick"), Category(2, "natural_seep")])
    mask = np.zeros((16, 16), bool)
    mask[4:8, 4:8] = True
    truth = (TruthInstance(1, mask, 1, int(mask.sum())),)
    pred = np.zeros((16, 16), np.uint8)
    pred[4:8, 4:8] = 1
    pred[:, :3] = 2  # wrong, but only where VV = 0
    vv = np.full((16, 16), 100, np.uint8)
    vv[:, :3] = 0
    diagnostic = TileDiagnostic(classes, EvalConfig())
    diagnostic.add(image(), truth, truth_raster(truth, (16, 16)), vv != 0, from_raster(pred))
    doc = diagnostic.finish()
    pixel = doc["pixel"]
    assert pixel["nodata_pixels"] == 48 and pixel["valid_pixels"] == 16 * 16 - 48
    assert pixel["per_class"]["natural_seep"]["predicted"] == 0
    assert pixel["oil_iou"] == 1.0
    # Tile instances are not masked: the false region still counts there.
    assert doc["instance"]["matching"]["false"] == 1
    assert "not what is served" in doc["what"]


def test_later_annotation_wins_where_annotations_overlap() -> None:
    a = np.zeros((8, 8), bool)
    a[0:4, 0:4] = True
    b = np.zeros((8, 8), bool)
    b[2:6, 2:6] = True
    raster = truth_raster((TruthInstance(1, a, 1, 16), TruthInstance(2, b, 2, 16)), (8, 8))
    assert raster[3, 3] == 2 and raster[0, 0] == 1 and raster[5, 5] == 2
    raster = truth_raster((TruthInstance(2, b, 2, 16), TruthInstance(1, a, 1, 16)), (8, 8))
    assert raster[3, 3] == 1
