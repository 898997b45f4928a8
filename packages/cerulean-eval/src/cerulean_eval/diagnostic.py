"""Diagnostic: a model's raw per-tile outputs scored tile by tile (never a headline).

Before post-processing, a model says something about every pixel of every tile: a UNet's
argmax raster and its connected components, a Mask R-CNN's instances above a score. Those
are not what is served (the served slicks are scored in :mod:`cerulean_eval.scoring`), but
they show how the network itself behaves. :class:`TileDiagnostic` takes one dataset tile
at a time (its truth, its nodata mask and a :class:`TilePrediction` of the raw outputs) and
accumulates:

- the pixel confusion matrix of the raw raster over valid pixels (and the confidence
  histogram of the threshold sweep when the source has confidences);
- the tile instance confusion matrix (matching on the tile, before slicks are stitched);
- COCO documents for COCOeval (truth RLEs and detections as RLE and boxes).

:meth:`TileDiagnostic.finish` runs COCOeval and returns metrics.json's
``diagnostic.tiles`` section and the mask precision–recall curve the plots draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from cerulean_coco import ImageRecord
from cerulean_eval.cocoeval import (
    IouType,
    coco_ground_truth,
    coco_summary,
    load_results,
    pr_curve,
    run_cocoeval,
)
from cerulean_eval.config import EvalConfig
from cerulean_eval.confusion import confusion_counts, score_histogram
from cerulean_eval.metrics.pixel import PixelMetrics, ThresholdSweep
from cerulean_eval.metrics.tile_instances import InstanceConfusion
from cerulean_eval.records import PredInstance, TilePrediction, TruthInstance
from cerulean_tiling import ClassMap
from cerulean_tiling.arrays import BoolArray, Int64Array, UInt8Array

WHAT = ("raw per-tile model outputs before post-processing (UNet: argmax raster and its "
        "8-connected components; Mask R-CNN: instances at or above score_threshold), "
        "scored tile by tile; not what is served")


def _encode(mask: BoolArray) -> dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _top(instances: tuple[PredInstance, ...], limit: int) -> list[PredInstance]:
    """The ``limit`` best-scored instances of each class: all COCOeval ever reads."""
    out = []
    for label in sorted({i.label for i in instances}):
        ranked = sorted((i for i in instances if i.label == label), key=lambda i: -i.score)
        out.extend(ranked[:limit])
    return out


class TileDiagnostic:
    """Accumulates the raw per-tile metrics over the tiles of one dataset.

    Args:
        classes: the evaluated class table.
        config: the diagnostic settings.
    """

    def __init__(self, classes: ClassMap, config: EvalConfig) -> None:
        self.classes = classes
        self.config = config
        k = classes.num_classes
        self.counts: Int64Array = np.zeros((k, k), dtype=np.int64)
        self.histogram: Int64Array | None = None
        self.instances = InstanceConfusion(classes.names, config.match_threshold,
                                           config.match_metric)
        self.images: list[dict[str, Any]] = []
        self.truth_annotations: list[dict[str, Any]] = []
        self.segm_results: list[dict[str, Any]] = []
        self.bbox_results: list[dict[str, Any]] = []
        self.nodata_pixels = 0

    def add(self, image: ImageRecord, truth: tuple[TruthInstance, ...], truth_raster: UInt8Array,
            valid: BoolArray, prediction: TilePrediction) -> None:
        """Score one tile's raw outputs.

        Args:
            image: the dataset's record of the tile.
            truth: its true instances (after the class map), in annotation order.
            truth_raster: their class raster.
            valid: pixels with data (VV ≠ 0).
            prediction: the raw outputs for the tile.
        """
        self.images.append({"id": image.id, "width": image.width, "height": image.height,
                            "file_name": image.file_name})
        for t in truth:
            self.truth_annotations.append({
                "id": t.annotation_id, "image_id": image.id,
                "category_id": self.classes.category_ids[t.label],
                "segmentation": t.segmentation or _encode(t.mask), "area": t.area,
                "bbox": list(t.bbox if t.bbox is not None else PredInstance.from_mask(
                    t.label, 1.0, t.mask).tight_box),
                "iscrowd": 0})
        k = self.classes.num_classes
        # Most tiles lie wholly inside their scene: counting them needs no validity mask.
        nodata = int(valid.size - np.count_nonzero(valid))
        self.counts += confusion_counts(truth_raster, prediction.raster, k,
                                        valid if nodata else None)
        self.nodata_pixels += nodata
        if prediction.confidence is not None and prediction.candidate is not None:
            if self.histogram is None:
                self.histogram = np.zeros((self.config.sweep_bins, k, k), dtype=np.int64)
            score_histogram(truth_raster, prediction.candidate, prediction.confidence, k,
                            self.config.sweep_bins, valid, self.histogram)
        self.instances.add(truth, prediction.kept)
        for inst in _top(prediction.instances, self.config.max_detections):
            category = self.classes.category_ids[inst.label]
            self.segm_results.append({"image_id": image.id, "category_id": category,
                                      "segmentation": _encode(inst.mask),
                                      "score": float(inst.score)})
            self.bbox_results.append({"image_id": image.id, "category_id": category,
                                      "bbox": list(inst.tight_box), "score": float(inst.score)})

    def _ground_truth_document(self) -> dict[str, Any]:
        order = sorted(self.classes.oil, key=lambda i: self.classes.category_ids[i])
        return {"images": self.images,
                "categories": [{"id": self.classes.category_ids[i], "name": self.classes.names[i],
                                "supercategory": "slick"} for i in order],
                "annotations": self.truth_annotations}

    def coco_metrics(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """COCOeval ``segm`` and ``bbox`` summaries, and the segm PR curves at IoU 0.5."""
        document = self._ground_truth_document()
        names = [c["name"] for c in document["categories"]]
        backend = self.config.coco_backend
        gt = coco_ground_truth(document, backend)
        out: dict[str, Any] = {"backend": backend}
        curve = None
        runs: tuple[tuple[IouType, list[dict[str, Any]]], ...] = (
            ("segm", self.segm_results), ("bbox", self.bbox_results))
        for iou_type, results in runs:
            evaluator = run_cocoeval(gt, load_results(gt, results, backend), iou_type,
                                     self.config.coco)
            out[iou_type] = coco_summary(evaluator, names)
            if iou_type == "segm":
                curve = pr_curve(evaluator, 0.5)
                if curve is not None:
                    curve["classes"] = names
        return out, curve

    def finish(self) -> dict[str, Any]:
        """Run COCOeval; the ``diagnostic.tiles`` section of metrics.json.

        Its ``pixel`` holds the raw raster's :class:`PixelMetrics` (with the confidence
        ``sweep``), ``instance`` the COCO AP and the tile instance ``matching``, and
        ``curves`` the mask precision–recall curve at IoU 0.5.
        """
        pixel = PixelMetrics(self.classes.names, self.counts).to_json()
        pixel["valid_pixels"] = int(self.counts.sum())
        pixel["nodata_pixels"] = self.nodata_pixels
        pixel["sweep"] = (ThresholdSweep(self.classes.names, self.histogram).to_json()
                          if self.histogram is not None else None)
        coco, curve = self.coco_metrics()
        return {"what": WHAT, "tiles": len(self.images),
                "predicted_instances": len(self.segm_results),
                "pixel": pixel, "instance": {"coco": coco, "matching": self.instances.to_json()},
                "curves": {"segm_pr": curve}}


__all__ = ["WHAT", "TileDiagnostic"]
