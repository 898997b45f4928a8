"""Validation metrics of the UNet, from one confusion matrix over all validation pixels.

Every metric accumulates the ``[C, C]`` confusion counts (truth × prediction, the
prediction being the argmax class) over the pixels with data of the whole validation
set (no-data pixels, target ``IGNORE_INDEX``, are not counted: cerulean-eval counts the
same pixels), and sums them over processes when training is distributed, so every rank
reports and decides on the same numbers. From the counts:

- ``dice_multi``: fastai's ``DiceMulti`` — the mean over classes (background included)
  of 2·TP / (2·TP + FP + FN), skipping classes absent from both truth and prediction;
- ``iou_<class>``: TP / (TP + FP + FN) of each class (NaN when absent from both);
- ``oil_iou``: the IoU of "any oil class" against background.
"""

from __future__ import annotations

import math

import torch
from fastai.learner import Learner, Metric

from cerulean_train.data.semantic import IGNORE_INDEX


class Confusion:
    """Confusion counts shared by several metrics, so each batch is counted once."""

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes
        self.counts = torch.zeros(n_classes, n_classes, dtype=torch.float64)
        self._last: object = None

    def reset(self) -> None:
        """Forget every count."""
        self.counts = torch.zeros(self.n_classes, self.n_classes, dtype=torch.float64)
        self._last = None

    def add(self, pred: torch.Tensor, truth: torch.Tensor) -> None:
        """Count a batch of logits ``[B, C, H, W]`` against targets ``[B, H, W]`` (a batch
        already counted is skipped); pixels whose target is ``IGNORE_INDEX`` are skipped."""
        if pred is self._last:
            return
        self._last = pred
        truth, guess = truth.flatten(), pred.argmax(dim=1).flatten()
        keep = truth != IGNORE_INDEX
        self.counts += confusion(truth[keep], guess[keep], self.n_classes)


class ConfusionMetric(Metric):  # type: ignore[misc]  # fastai ships no type information
    """A fastai metric computed from confusion counts accumulated over validation."""

    def __init__(self, shared: Confusion, name: str) -> None:
        self.shared = shared
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def reset(self) -> None:
        self.shared.reset()

    def accumulate(self, learn: Learner) -> None:
        self.shared.add(learn.pred, learn.y)

    def reduced(self) -> torch.Tensor:
        """The counts summed over every process of a distributed run."""
        counts = self.shared.counts
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            counts = counts.clone()
            torch.distributed.all_reduce(counts)
        return counts

    @property
    def value(self) -> float:
        return self.compute(self.reduced())

    def compute(self, counts: torch.Tensor) -> float:
        """The metric from confusion counts."""
        raise NotImplementedError


def confusion(truth: torch.Tensor, pred: torch.Tensor, n_classes: int) -> torch.Tensor:
    """``[C, C]`` counts of (truth, prediction) pairs, as float64 on the CPU."""
    pairs = (truth.long() * n_classes + pred.long()).cpu()
    return torch.bincount(pairs, minlength=n_classes**2).reshape(n_classes, n_classes).double()


def class_iou(counts: torch.Tensor, index: int) -> float:
    """IoU of one class from confusion counts (NaN when absent from truth and prediction)."""
    tp = float(counts[index, index])
    union = float(counts[index].sum() + counts[:, index].sum()) - tp
    return tp / union if union else math.nan


def oil_iou(counts: torch.Tensor) -> float:
    """IoU of any oil class (index ≥ 1) against background."""
    tp = float(counts[1:, 1:].sum())
    union = float(counts.sum() - counts[0, 0])
    return tp / union if union else math.nan


def dice_multi(counts: torch.Tensor) -> float:
    """Mean per-class Dice (fastai's ``DiceMulti``) from confusion counts."""
    scores = []
    for c in range(counts.shape[0]):
        tp = float(counts[c, c])
        both = float(counts[c].sum() + counts[:, c].sum())
        if both:
            scores.append(2 * tp / both)
    return sum(scores) / len(scores) if scores else math.nan


class DiceMulti(ConfusionMetric):
    """``dice_multi`` (see the module docstring)."""

    def __init__(self, shared: Confusion) -> None:
        super().__init__(shared, "dice_multi")

    def compute(self, counts: torch.Tensor) -> float:
        return dice_multi(counts)


class ClassIoU(ConfusionMetric):
    """``iou_<class>`` of one class."""

    def __init__(self, shared: Confusion, index: int, class_name: str) -> None:
        super().__init__(shared, f"iou_{class_name}")
        self.index = index

    def compute(self, counts: torch.Tensor) -> float:
        return class_iou(counts, self.index)


class OilIoU(ConfusionMetric):
    """``oil_iou``: any oil class against background."""

    def __init__(self, shared: Confusion) -> None:
        super().__init__(shared, "oil_iou")

    def compute(self, counts: torch.Tensor) -> float:
        return oil_iou(counts)


def unet_metrics(class_names: tuple[str, ...]) -> list[ConfusionMetric]:
    """The metrics a UNet run reports each epoch: dice_multi, oil_iou, iou per class."""
    shared = Confusion(len(class_names))
    return [DiceMulti(shared), OilIoU(shared),
            *(ClassIoU(shared, i, name) for i, name in enumerate(class_names))]


__all__ = ["ClassIoU", "Confusion", "ConfusionMetric", "DiceMulti", "OilIoU", "class_iou",
           "confusion", "dice_multi", "oil_iou", "unet_metrics"]
