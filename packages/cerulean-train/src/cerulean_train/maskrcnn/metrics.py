"""COCO mask AP of detections against instance targets, with pycocotools.

The validation set's targets (after the class remap and area floor, exactly what the
model is trained to find) become a COCO ground truth, the detections a COCO result
list with masks binarised at 0.5, and pycocotools' ``COCOeval`` (``segm``) scores them.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Sequence

import numpy as np
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

Detections = dict[str, torch.Tensor]


def _rle(mask: np.ndarray) -> dict[str, object]:
    encoded: dict[str, object] = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts = encoded["counts"]
    encoded["counts"] = counts.decode("ascii") if isinstance(counts, bytes) else counts
    return encoded


def segm_ap(targets: Sequence[Detections], detections: Sequence[Detections],
            num_classes: int, mask_threshold: float = 0.5) -> dict[str, float]:
    """COCO mask AP (IoU 0.50:0.95) and AP50 of ``detections`` against ``targets``.

    Args:
        targets: per image, ``masks [N, H, W]`` and ``labels [N]``.
        detections: per image, ``masks [M, 1, H, W]`` probabilities, ``labels``, ``scores``.
        num_classes: model outputs, background included.
        mask_threshold: probability at which a predicted mask is binarised.

    Returns:
        ``{"segm_ap": ..., "segm_ap50": ...}``; NaN when the targets hold no instance.
    """
    images: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    results: list[dict[str, object]] = []
    for image_id, (target, found) in enumerate(zip(targets, detections, strict=True)):
        height, width = target["masks"].shape[-2:]
        images.append({"id": image_id, "height": int(height), "width": int(width)})
        for mask, label in zip(target["masks"].numpy(), target["labels"].tolist(), strict=True):
            rle = _rle(mask)
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": int(label), "segmentation": rle,
                                "area": float(mask_utils.area(rle)), "iscrowd": 0,
                                "bbox": [float(v) for v in mask_utils.toBbox(rle)]})
        masks = (found["masks"][:, 0] >= mask_threshold).numpy()
        for mask, label, score in zip(masks, found["labels"].tolist(),
                                      found["scores"].tolist(), strict=True):
            results.append({"image_id": image_id, "category_id": int(label),
                            "segmentation": _rle(mask), "score": float(score)})
    if not annotations:
        return {"segm_ap": math.nan, "segm_ap50": math.nan}
    if not results:
        return {"segm_ap": 0.0, "segm_ap50": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = {"images": images, "annotations": annotations,
                         "categories": [{"id": k} for k in range(1, num_classes)]}
        truth.createIndex()
        evaluation = COCOeval(truth, truth.loadRes(results), iouType="segm")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {"segm_ap": max(float(evaluation.stats[0]), 0.0),
            "segm_ap50": max(float(evaluation.stats[1]), 0.0)}


__all__ = ["Detections", "segm_ap"]
