"""Our COCO AP (a diagnostic of raw tile outputs) is pycocotools' COCOeval on the same
files, number for number."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from cerulean_coco import CocoDataset
from cerulean_eval import EvalConfig, score_predictions


@pytest.fixture(scope="module")
def perturbed(dataset: CocoDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Truth masks shifted, eroded or grown, some relabelled, plus false detections."""
    rng = np.random.default_rng(7)
    cats = [c.id for c in dataset.categories]
    results = []
    for ann in dataset.annotations:
        mask = mask_utils.decode({"size": ann.segmentation["size"],
                                  "counts": ann.segmentation["counts"].encode()}).astype(bool)
        for _ in range(2):
            moved = np.roll(mask, tuple(int(v) for v in rng.integers(-3, 4, 2)), axis=(0, 1))
            if rng.random() < 0.3:
                moved = moved & np.roll(moved, 1, axis=1)
            category = ann.category_id if rng.random() < 0.8 else int(rng.choice(cats))
            rle = mask_utils.encode(np.asfortranarray(moved.astype(np.uint8)))
            results.append({"image_id": ann.image_id, "category_id": category,
                            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()},
                            "score": float(np.round(rng.random(), 3))})
    for image in dataset.images[:3]:
        junk = np.zeros((image.height, image.width), np.uint8)
        junk[10:30, 40:90] = 1
        rle = mask_utils.encode(np.asfortranarray(junk))
        results.append({"image_id": image.id, "category_id": cats[0],
                        "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()},
                        "score": 0.95})
    path = tmp_path_factory.mktemp("perturbed") / "results.json"
    path.write_text(json.dumps(results))
    return path


def reference(dataset_dir: Path, results: Path, iou_type: str,
              thresholds: tuple[float, ...] | None = None) -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(dataset_dir / "annotations.json"))
        dt = gt.loadRes(str(results))
        ev = COCOeval(gt, dt, iou_type)
        if thresholds is not None:
            ev.params.iouThrs = np.array(thresholds)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def tiles(dataset: CocoDataset, results: Path, config: EvalConfig) -> dict[str, Any]:
    """The raw per-tile diagnostic, where COCO AP lives."""
    doc: dict[str, Any] = score_predictions(dataset, results, config).metrics["diagnostic"]
    return dict(doc["tiles"])


def test_mask_ap_equals_pycocotools(dataset: CocoDataset, dataset_dir: Path,
                                    perturbed: Path) -> None:
    ours = tiles(dataset, perturbed, EvalConfig(examples=0, bootstrap=0))
    segm = ours["instance"]["coco"]["segm"]
    ref = reference(dataset_dir, perturbed, "segm")
    assert 0 < segm["ap"] < 1
    assert segm["ap"] == ref.stats[0] and segm["ap50"] == ref.stats[1]
    assert segm["ap75"] == ref.stats[2] and segm["ar"] == ref.stats[8]
    for area, index in (("small", 3), ("medium", 4), ("large", 5)):
        assert (segm["ap_area"][area] if segm["ap_area"][area] is not None else -1.0) == \
            ref.stats[index]
    precision = ref.eval["precision"][:, :, :, 0, -1]
    for k, cat in enumerate(ref.params.catIds):
        name = next(c.name for c in dataset.categories if c.id == cat)
        values = precision[:, :, k]
        expected = float(values[values > -1].mean()) if (values > -1).any() else None
        assert segm["per_class"][name]["ap"] == expected


def test_box_ap_equals_pycocotools_with_boxes_from_masks(dataset: CocoDataset,
                                                         dataset_dir: Path, perturbed: Path,
                                                         tmp_path: Path) -> None:
    results = json.loads(perturbed.read_text())
    for r in results:
        rle = dict(r["segmentation"], counts=r["segmentation"]["counts"].encode())
        r["bbox"] = [float(v) for v in mask_utils.toBbox(rle)]
        del r["segmentation"]
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps(results))
    ours = tiles(dataset, perturbed, EvalConfig(examples=0, bootstrap=0))
    ref = reference(dataset_dir, boxes, "bbox")
    assert ours["instance"]["coco"]["bbox"]["ap"] == ref.stats[0]
    assert ours["instance"]["coco"]["bbox"]["ap50"] == ref.stats[1]


def test_custom_low_thresholds_equal_pycocotools(dataset: CocoDataset, dataset_dir: Path,
                                                 perturbed: Path) -> None:
    thresholds = (0.05, 0.1, 0.3, 0.5)
    metrics = score_predictions(dataset, perturbed, EvalConfig(iou_thresholds=thresholds,
                                                               examples=0)).metrics
    ours = metrics["diagnostic"]["tiles"]
    ref = reference(dataset_dir, perturbed, "segm", thresholds)
    assert ours["instance"]["coco"]["segm"]["ap"] == ref.stats[0]
    assert ours["instance"]["coco"]["segm"]["ap50"] == ref.stats[1]
    assert metrics["settings"]["iou_thresholds"] == list(thresholds)


def test_faster_coco_eval_backend_agrees(dataset: CocoDataset, perturbed: Path) -> None:
    pytest.importorskip("faster_coco_eval")
    slow = tiles(dataset, perturbed, EvalConfig(examples=0, bootstrap=0))
    fast = tiles(dataset, perturbed, EvalConfig(examples=0, bootstrap=0,
                                                coco_backend="faster-coco-eval"))
    assert fast["instance"]["coco"]["backend"] == "faster-coco-eval"
    for kind in ("segm", "bbox"):
        assert fast["instance"]["coco"][kind]["ap"] == pytest.approx(
            slow["instance"]["coco"][kind]["ap"], abs=1e-12)
        assert fast["instance"]["coco"][kind]["ap50"] == pytest.approx(
            slow["instance"]["coco"][kind]["ap50"], abs=1e-12)
