"""The evaluation: tiles in, every metric out.

:class:`Evaluator` takes one dataset tile at a time (its ground truth, its nodata
mask and a :class:`TilePrediction`) and accumulates what each metric needs, so a run
holds no more than one batch of rasters plus the best and worst example tiles:

- the pixel confusion matrix over valid pixels (and the confidence histogram of the
  threshold sweep when the source has confidences);
- the instance confusion matrix (matching on the tile);
- COCO documents for COCOeval (truth RLEs and detections as RLE and boxes);
- slick pieces in lon/lat, merged across tiles at the end.

:meth:`Evaluator.finish` runs COCOeval and the slick matching and returns
:class:`EvalResult` (the metrics document plus what the plots draw).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from cerulean_coco import CocoDataset, ImageRecord
from cerulean_eval.classes import EvalClasses
from cerulean_eval.cocoeval import (
    IouType,
    coco_ground_truth,
    load_results,
    pr_curve,
    run_cocoeval,
    summarise,
)
from cerulean_eval.config import EvalConfig
from cerulean_eval.confusion import confusion_counts, score_histogram
from cerulean_eval.matching import InstanceConfusion
from cerulean_eval.pixel import PixelMetrics, ThresholdSweep
from cerulean_eval.records import PredInstance, TilePrediction, TruthInstance
from cerulean_eval.slicks import (
    MapSlick,
    Piece,
    instance_pieces,
    mask_polygons,
    merge_pieces,
    score_slicks,
)
from cerulean_eval.types import BoolArray, Int64Array, UInt8Array

FORMAT_VERSION = 1
"""Version of metrics.json."""


@dataclass(frozen=True, eq=False)
class Example:
    """A tile kept for the examples grid."""

    name: str
    score: float
    image: UInt8Array
    truth: UInt8Array
    prediction: UInt8Array


@dataclass(eq=False)
class EvalResult:
    """What an evaluation produced: the metrics document and the data behind the plots."""

    metrics: dict[str, Any]
    best: list[Example] = field(default_factory=list)
    worst: list[Example] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Any]:
        """The headline numbers (``metrics["summary"]``)."""
        return dict(self.metrics["summary"])


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


class Evaluator:
    """Accumulates metrics over the tiles of one dataset.

    Args:
        classes: the evaluated class table.
        config: the scoring settings.
        pixels: whether the source predicts tiles (False for GeoJSON predictions,
            which are scored at slick level only).
    """

    def __init__(self, classes: EvalClasses, config: EvalConfig, *, pixels: bool = True) -> None:
        self.classes = classes
        self.config = config
        self.pixels = pixels
        k = classes.n
        self.counts: Int64Array = np.zeros((k, k), dtype=np.int64)
        self.histogram: Int64Array | None = None
        self.instances = InstanceConfusion(classes.names, config.match_threshold,
                                           config.match_metric)
        self.images: list[dict[str, Any]] = []
        self.truth_annotations: list[dict[str, Any]] = []
        self.segm_results: list[dict[str, Any]] = []
        self.bbox_results: list[dict[str, Any]] = []
        self.truth_pieces: list[Piece] = []
        self.pred_pieces: list[Piece] = []
        self.nodata_pixels = 0
        self.grid_size = 1.0
        self._best: list[tuple[float, int, Example]] = []
        self._worst: list[tuple[float, int, Example]] = []
        self._tick = itertools.count()

    def add_truth(self, image: ImageRecord, truth: tuple[TruthInstance, ...]) -> None:
        """Record a tile's ground truth (COCO document and slick pieces)."""
        self.images.append({"id": image.id, "width": image.width, "height": image.height,
                            "file_name": image.file_name})
        pixel = min((image.bounds[2] - image.bounds[0]) / image.width,
                    (image.bounds[3] - image.bounds[1]) / image.height)
        self.grid_size = min(self.grid_size, pixel / 100)
        for t in truth:
            self.truth_annotations.append({
                "id": t.annotation_id, "image_id": image.id,
                "category_id": self.classes.category_ids[t.label],
                "segmentation": t.segmentation or _encode(t.mask), "area": t.area,
                "bbox": list(t.bbox if t.bbox is not None else PredInstance.from_mask(
                    t.label, 1.0, t.mask).tight_box),
                "iscrowd": 0})
            self.truth_pieces.append(Piece(image.scene_id, t.label,
                                           tuple(mask_polygons(t.mask, image.bounds))))

    def add(self, image: ImageRecord, truth: tuple[TruthInstance, ...], valid: BoolArray,
            prediction: TilePrediction, picture: UInt8Array) -> None:
        """Score one tile.

        Args:
            image: the dataset's record of the tile.
            truth: its true instances (after the class preset), in annotation order.
            valid: pixels with data (VV ≠ 0).
            prediction: the source's prediction for the tile.
            picture: the VV band, for the examples grid.
        """
        from cerulean_eval.truth import truth_raster

        self.add_truth(image, truth)
        shape = (image.height, image.width)
        raster = truth_raster(truth, shape)
        # Most tiles lie wholly inside their scene: counting them needs no validity mask.
        nodata = int(valid.size - np.count_nonzero(valid))
        tile_counts = confusion_counts(raster, prediction.raster, self.classes.n,
                                       valid if nodata else None)
        self.counts += tile_counts
        self.nodata_pixels += nodata
        if prediction.confidence is not None and prediction.candidate is not None:
            if self.histogram is None:
                n = self.classes.n
                self.histogram = np.zeros((self.config.sweep_bins, n, n), dtype=np.int64)
            score_histogram(raster, prediction.candidate, prediction.confidence,
                            self.classes.n, self.config.sweep_bins, valid, self.histogram)
        self.instances.add(truth, prediction.kept)
        for inst in _top(prediction.instances, self.config.max_detections):
            category = self.classes.category_ids[inst.label]
            self.segm_results.append({"image_id": image.id, "category_id": category,
                                      "segmentation": _encode(inst.mask),
                                      "score": float(inst.score)})
            self.bbox_results.append({"image_id": image.id, "category_id": category,
                                      "bbox": list(inst.tight_box), "score": float(inst.score)})
        self.pred_pieces.extend(instance_pieces(prediction.kept, image.bounds, shape,
                                                image.scene_id))
        self._keep_example(image, tile_counts, picture, raster, prediction.raster)

    def _keep_example(self, image: ImageRecord, counts: Int64Array, picture: UInt8Array,
                      truth: UInt8Array, prediction: UInt8Array) -> None:
        k = self.config.examples
        tp, fp, fn = PixelMetrics(self.classes.names, counts).oil
        if k == 0 or tp + fp + fn == 0:
            return
        example = Example(image.name, tp / (tp + fp + fn), picture, truth, prediction)
        tick = next(self._tick)
        heapq.heappush(self._best, (example.score, tick, example))
        heapq.heappush(self._worst, (-example.score, tick, example))
        if len(self._best) > k:
            heapq.heappop(self._best)
        if len(self._worst) > k:
            heapq.heappop(self._worst)

    def _ground_truth_document(self) -> dict[str, Any]:
        order = sorted(range(1, self.classes.n), key=lambda i: self.classes.category_ids[i])
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
            out[iou_type] = summarise(evaluator, names)
            if iou_type == "segm":
                curve = pr_curve(evaluator, 0.5)
                if curve is not None:
                    curve["classes"] = names
        return out, curve

    def finish(self, map_predictions: list[MapSlick] | None = None,
               truth_slicks: list[MapSlick] | None = None) -> EvalResult:
        """Run COCOeval and the slick matching; assemble metrics.json.

        Args:
            map_predictions: predicted slicks read from GeoJSON; None to use the slicks
                made from the tiles' predictions.
            truth_slicks: true slicks read from GeoJSON; None to use the slicks made
                from the dataset's annotations.
        """
        if truth_slicks is None:
            truth_slicks = merge_pieces(self.truth_pieces, self.grid_size)
        if map_predictions is None:
            map_predictions = merge_pieces(self.pred_pieces, self.grid_size)
        slicks = score_slicks(truth_slicks, map_predictions, self.classes.names,
                              self.config.slick_iou)
        metrics: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "classes": self.classes.to_json(),
            "settings": self.config.to_json(),
            "counts": {"images": len(self.images),
                       "truth_instances": len(self.truth_annotations),
                       "predicted_instances": len(self.segm_results)},
            "pixel": None, "instance": None, "slick": slicks, "curves": {},
        }
        summary: dict[str, Any] = {
            "slicks_true": slicks["any"]["true"], "slicks_found": slicks["any"]["matched"],
            "slicks_missed": slicks["any"]["missed"], "slicks_false": slicks["any"]["false"],
            "slick_f1": slicks["any"]["f1"]}
        if self.pixels:
            pixel = PixelMetrics(self.classes.names, self.counts)
            pixel_doc = pixel.to_json()
            pixel_doc["valid_pixels"] = int(self.counts.sum())
            pixel_doc["nodata_pixels"] = self.nodata_pixels
            sweep = (ThresholdSweep(self.classes.names, self.histogram).to_json()
                     if self.histogram is not None else None)
            pixel_doc["sweep"] = sweep
            coco, curve = self.coco_metrics()
            metrics["pixel"] = pixel_doc
            metrics["instance"] = {"coco": coco, "matching": self.instances.to_json()}
            metrics["curves"] = {"segm_pr": curve}
            summary = {
                "pixel_f1": pixel.macro_f1_oil, "pixel_macro_f1": pixel.macro_f1,
                "oil_iou": pixel.oil_iou, "pixel_mean_iou": pixel.mean_iou,
                "pixel_accuracy": pixel.accuracy,
                "pixel_iou": {n: pixel_doc["per_class"][n]["iou"] for n in self.classes.names},
                "pixel_f1_per_class": {n: pixel_doc["per_class"][n]["f1"]
                                       for n in self.classes.names},
                "best_threshold": sweep["best"]["threshold"] if sweep else None,
                "instance_f1": self.instances.totals()["f1"],
                "segm_ap": coco["segm"]["ap"], "segm_ap50": coco["segm"]["ap50"],
                "bbox_ap": coco["bbox"]["ap"], "bbox_ap50": coco["bbox"]["ap50"],
                **summary}
        metrics["summary"] = summary
        best = [e for _, _, e in sorted(self._best, key=lambda x: (-x[0], x[1]))]
        # With few tiles the two heaps overlap: a tile shown as best is not also worst.
        shown = {id(e) for e in best}
        worst = [e for _, _, e in sorted(self._worst, key=lambda x: (-x[0], x[1]))
                 if id(e) not in shown]
        return EvalResult(metrics, best, worst)


def image_records(dataset: CocoDataset) -> dict[int, ImageRecord]:
    """The dataset's image records by id."""
    return {image.id: image for image in dataset.images}


__all__ = ["FORMAT_VERSION", "EvalResult", "Evaluator", "Example", "image_records"]
