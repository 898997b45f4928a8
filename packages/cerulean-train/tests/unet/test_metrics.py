"""UNet metrics from confusion counts against NumPy references."""

from __future__ import annotations

import math

import numpy as np
import torch

from cerulean_train.data.semantic import IGNORE_INDEX
from cerulean_train.unet.metrics import Confusion, class_iou, confusion, dice_multi, oil_iou


def test_metrics_match_numpy_references() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, size=5000)
    pred = np.where(rng.random(5000) < 0.6, truth, rng.integers(0, 4, size=5000))
    pred[pred == 2] = 1  # class 2 never predicted
    counts = confusion(torch.from_numpy(truth), torch.from_numpy(pred), 4)
    for c in range(4):
        t, p = truth == c, pred == c
        assert math.isclose(class_iou(counts, c), (t & p).sum() / (t | p).sum())
    t, p = truth > 0, pred > 0
    assert math.isclose(oil_iou(counts), (t & p).sum() / (t | p).sum())
    dice = [2 * ((truth == c) & (pred == c)).sum() / ((truth == c).sum() + (pred == c).sum())
            for c in range(4)]
    assert math.isclose(dice_multi(counts), float(np.mean(dice)))


def test_absent_classes_are_nan_and_skipped() -> None:
    counts = confusion(torch.tensor([0, 0, 1]), torch.tensor([0, 0, 1]), 3)
    assert math.isnan(class_iou(counts, 2))
    assert dice_multi(counts) == 1.0


def test_pixels_without_data_are_not_counted() -> None:
    truth = torch.tensor([[[0, 1], [IGNORE_INDEX, IGNORE_INDEX]]])
    logits = torch.zeros(1, 2, 2, 2)
    logits[0, 1] = 1.0  # every pixel predicted as class 1
    shared = Confusion(2)
    shared.add(logits, truth)
    assert shared.counts.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert oil_iou(shared.counts) == 0.5
