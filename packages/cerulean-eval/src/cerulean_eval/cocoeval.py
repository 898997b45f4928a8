"""COCO mask and box AP through pycocotools' COCOeval (or faster-coco-eval's).

The ground truth and the detections are handed to COCOeval exactly as a user would:
the truth as a COCO document (the dataset's images, the evaluated categories and the
annotations after the class preset, their ``area`` being the mask pixel count), the
detections through ``COCO.loadRes`` (which derives each detection's area and box from
its mask for ``segm``). Area ranges therefore classify truth by mask area. IoU
thresholds may go down to 0.05 for thin slicks, where 0.5 is a hard bar.

The summary numbers follow COCOeval.summarize (mean over the precision array's
entries that are not −1) but are computed from ``eval["precision"]`` for any list of
thresholds, and an undefined mean (no true instance of a class) is ``None`` instead
of −1.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cerulean_eval.errors import MissingExtraError

IouType = Literal["segm", "bbox"]
Backend = Literal["pycocotools", "faster-coco-eval"]
BACKENDS: tuple[str, ...] = ("pycocotools", "faster-coco-eval")

COCO_IOU_THRESHOLDS: tuple[float, ...] = tuple(
    float(t) for t in np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1))
"""COCOeval's default IoU thresholds 0.50:0.05:0.95 (the same floats it builds)."""

COCO_AREA_RANGES: tuple[tuple[str, float, float], ...] = (
    ("all", 0.0, 1e10), ("small", 0.0, 32.0**2), ("medium", 32.0**2, 96.0**2),
    ("large", 96.0**2, 1e10))
"""COCOeval's default area ranges in pixels (name, lower, upper)."""


@dataclass(frozen=True)
class CocoSettings:
    """What COCOeval is run with."""

    iou_thresholds: tuple[float, ...] = COCO_IOU_THRESHOLDS
    area_ranges: tuple[tuple[str, float, float], ...] = COCO_AREA_RANGES
    max_detections: int = 100
    backend: Backend = "pycocotools"


def _modules(backend: Backend) -> tuple[Any, Any]:
    if backend == "faster-coco-eval":
        try:
            from faster_coco_eval import COCO, COCOeval_faster
        except ImportError:
            raise MissingExtraError('the faster-coco-eval backend needs '
                                    '`pip install "cerulean-eval[fast]"`') from None
        return COCO, COCOeval_faster
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    return COCO, COCOeval


def coco_ground_truth(document: dict[str, Any], backend: Backend = "pycocotools") -> Any:
    """A COCO object over an in-memory document (without pycocotools' prints).

    The object holds ``document`` itself, not a copy.
    """
    coco_cls, _ = _modules(backend)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = coco_cls()
        coco.dataset = document
        coco.createIndex()
    return coco


def load_results(gt: Any, results: Sequence[dict[str, Any]], backend: Backend) -> Any:
    """``gt.loadRes(results)``; an empty list gives a detection set with no detections.

    ``loadRes`` adds ``id``, ``area`` and ``bbox`` to the result dicts it is given, in
    place; pass results that are not needed unchanged afterwards.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        if results:
            return gt.loadRes(list(results))
        coco_cls, _ = _modules(backend)
        dt = coco_cls()
        dt.dataset = {"images": list(gt.dataset["images"]),
                      "categories": copy.deepcopy(gt.dataset["categories"]), "annotations": []}
        dt.createIndex()
        return dt


def run_cocoeval(gt: Any, dt: Any, iou_type: IouType, settings: CocoSettings) -> Any:
    """Evaluate and accumulate; returns the COCOeval object."""
    _, eval_cls = _modules(settings.backend)
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = eval_cls(gt, dt, iou_type)
        evaluator.params.iouThrs = np.array(settings.iou_thresholds, dtype=np.float64)
        evaluator.params.areaRng = [[lo, hi] for _, lo, hi in settings.area_ranges]
        evaluator.params.areaRngLbl = [name for name, _, _ in settings.area_ranges]
        evaluator.params.maxDets = [1, 10, settings.max_detections]
        evaluator.evaluate()
        evaluator.accumulate()
    return evaluator


def _mean(values: np.ndarray) -> float | None:
    kept = values[values > -1]
    return float(kept.mean()) if kept.size else None


def coco_summary(evaluator: Any, names: Sequence[str]) -> dict[str, Any]:
    """AP / AR overall, per IoU threshold, per area range and per class.

    ``names`` are the class names of the evaluated categories, in category id order.
    """
    precision = np.asarray(evaluator.eval["precision"])  # [T, R, K, A, M]
    recall = np.asarray(evaluator.eval["recall"])  # [T, K, A, M]
    thresholds = [float(t) for t in evaluator.params.iouThrs]
    areas = list(evaluator.params.areaRngLbl)
    all_area = areas.index("all") if "all" in areas else 0
    last = len(evaluator.params.maxDets) - 1
    out: dict[str, Any] = {
        "ap": _mean(precision[:, :, :, all_area, last]),
        "ar": _mean(recall[:, :, all_area, last]),
        "ap_at": {f"{t:.2f}": _mean(precision[i, :, :, all_area, last])
                  for i, t in enumerate(thresholds)},
        "ap_area": {name: _mean(precision[:, :, :, a, last]) for a, name in enumerate(areas)},
        "per_class": {name: {"ap": _mean(precision[:, :, k, all_area, last]),
                             "ap_at": {f"{t:.2f}": _mean(precision[i, :, k, all_area, last])
                                       for i, t in enumerate(thresholds)}}
                      for k, name in enumerate(names)},
    }
    for key, t in (("ap50", 0.5), ("ap75", 0.75)):
        hits = [i for i, v in enumerate(thresholds) if np.isclose(v, t)]
        out[key] = _mean(precision[hits[0], :, :, all_area, last]) if hits else None
    return out


def pr_curve(evaluator: Any, threshold: float) -> dict[str, Any] | None:
    """Per-class precision at the 101 recall points, at the IoU threshold nearest ``threshold``."""
    thresholds = np.asarray(evaluator.params.iouThrs)
    if not thresholds.size:
        return None
    i = int(np.argmin(np.abs(thresholds - threshold)))
    areas = list(evaluator.params.areaRngLbl)
    all_area = areas.index("all") if "all" in areas else 0
    precision = np.asarray(evaluator.eval["precision"])[i, :, :, all_area, -1]
    return {"iou": float(thresholds[i]), "recall": [float(r) for r in evaluator.params.recThrs],
            "precision": precision.T.tolist()}


__all__ = ["BACKENDS", "COCO_AREA_RANGES", "COCO_IOU_THRESHOLDS", "Backend", "CocoSettings",
           "IouType", "coco_ground_truth", "coco_summary", "load_results", "pr_curve",
           "run_cocoeval"]
