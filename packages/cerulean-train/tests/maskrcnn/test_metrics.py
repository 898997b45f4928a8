"""Mask AP through pycocotools on hand-made masks whose answer is known."""

from __future__ import annotations

import math

import pytest
import torch

from cerulean_train.maskrcnn.metrics import segm_ap


def _target() -> dict[str, torch.Tensor]:
    masks = torch.zeros(2, 32, 32, dtype=torch.uint8)
    masks[0, 2:10, 2:30] = 1
    masks[1, 20:30, 5:15] = 1
    return {"masks": masks, "labels": torch.tensor([1, 2])}


def _found(masks: torch.Tensor, labels: list[int]) -> dict[str, torch.Tensor]:
    return {"masks": masks[:, None].float(), "labels": torch.tensor(labels),
            "scores": torch.linspace(0.9, 0.5, len(labels))}


def test_perfect_detections_score_one() -> None:
    target = _target()
    result = segm_ap([target], [_found(target["masks"], [1, 2])], 3)
    assert result == pytest.approx({"segm_ap": 1.0, "segm_ap50": 1.0})


def test_wrong_class_and_nothing_score_zero() -> None:
    target = _target()
    assert segm_ap([target], [_found(target["masks"], [2, 1])], 3)["segm_ap"] == 0.0
    empty = _found(torch.zeros(0, 32, 32), [])
    assert segm_ap([target], [empty], 3) == {"segm_ap": 0.0, "segm_ap50": 0.0}


def test_half_found() -> None:
    target = _target()
    only_first = _found(target["masks"][:1], [1])
    result = segm_ap([target], [only_first], 3)
    assert result["segm_ap"] == pytest.approx(0.5)  # class 1 found perfectly, class 2 missed


def test_no_instances_is_nan() -> None:
    empty = {"masks": torch.zeros(0, 8, 8, dtype=torch.uint8),
             "labels": torch.zeros(0, dtype=torch.int64)}
    assert math.isnan(segm_ap([empty], [_found(torch.zeros(0, 8, 8), [])], 3)["segm_ap"])
