"""Pixel metrics from a confusion matrix: per class, macro averages, "any oil" IoU.

Definitions (``C`` is the K × K count matrix, rows truth, columns prediction):

- per class ``c``: precision = C[c,c] / Σ C[:,c], recall = C[c,c] / Σ C[c,:],
  F1 = 2·C[c,c] / (Σ C[c,:] + Σ C[:,c]), IoU = C[c,c] / (Σ C[c,:] + Σ C[:,c] − C[c,c]).
  A class is *present* when it occurs in the truth or in the prediction; the values of
  an absent class are undefined (``None`` in JSON) and it is left out of every average,
  as scikit-learn does when it takes its labels from the data.
- ``macro_f1``: mean F1 over present classes, background included; ``macro_f1_oil``:
  the same over the oil classes (index ≥ 1). On the served slicks painted onto the
  tiles these are the headline ``pixel_macro_f1`` and ``pixel_f1``.
- ``oil_iou``: IoU of "any oil class" against background, i.e. of the 2 × 2 matrix
  that merges every oil class (an oil pixel predicted as another oil class counts).
- ``normed_true``: each row divided by its sum (recall on the diagonal);
  ``normed_pred``: each column divided by its sum (precision on the diagonal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cerulean_eval.confusion import sweep_counts
from cerulean_tiling.arrays import Float64Array, Int64Array


def _ratio(num: Float64Array, den: Float64Array) -> Float64Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: Float64Array = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
    return ratio


@dataclass(frozen=True)
class PixelMetrics:
    """Metrics of one pixel confusion matrix."""

    names: tuple[str, ...]
    counts: Int64Array

    @property
    def support(self) -> Int64Array:
        """True pixels per class."""
        support: Int64Array = self.counts.sum(axis=1)
        return support

    @property
    def predicted(self) -> Int64Array:
        """Predicted pixels per class."""
        predicted: Int64Array = self.counts.sum(axis=0)
        return predicted

    @property
    def present(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Classes that occur in the truth or the prediction."""
        return (self.support > 0) | (self.predicted > 0)

    @property
    def precision(self) -> Float64Array:
        """Per-class precision (0 where nothing was predicted)."""
        return _ratio(np.diag(self.counts).astype(float), self.predicted.astype(float))

    @property
    def recall(self) -> Float64Array:
        """Per-class recall (0 where the class is absent from the truth)."""
        return _ratio(np.diag(self.counts).astype(float), self.support.astype(float))

    @property
    def f1(self) -> Float64Array:
        """Per-class F1."""
        tp: Float64Array = 2.0 * np.diag(self.counts).astype(float)
        return _ratio(tp, (self.support + self.predicted).astype(float))

    @property
    def iou(self) -> Float64Array:
        """Per-class intersection over union."""
        tp = np.diag(self.counts).astype(float)
        return _ratio(tp, self.support + self.predicted - tp)

    @property
    def normed_true(self) -> Float64Array:
        """Rows normalised to 1 (0 for absent classes)."""
        return _ratio(self.counts.astype(float), self.support[:, None].astype(float))

    @property
    def normed_pred(self) -> Float64Array:
        """Columns normalised to 1 (0 for never-predicted classes)."""
        return _ratio(self.counts.astype(float), self.predicted[None, :].astype(float))

    def _macro(self, values: Float64Array, start: int) -> float:
        mask = self.present.copy()
        mask[:start] = False
        return float(values[mask].mean()) if mask.any() else 0.0

    @property
    def macro_f1(self) -> float:
        """Mean F1 over present classes, background included."""
        return self._macro(self.f1, 0)

    @property
    def macro_f1_oil(self) -> float:
        """Mean F1 over present oil classes (``pixel_f1`` when the pixels are served slicks)."""
        return self._macro(self.f1, 1)

    @property
    def mean_iou(self) -> float:
        """Mean IoU over present classes, background included."""
        return self._macro(self.iou, 0)

    @property
    def accuracy(self) -> float:
        """Share of valid pixels whose class is right."""
        total = self.counts.sum()
        return float(np.trace(self.counts) / total) if total else 0.0

    @property
    def oil(self) -> tuple[int, int, int]:
        """(true positive, false positive, false negative) pixels of "any oil"."""
        tp = int(self.counts[1:, 1:].sum())
        return tp, int(self.counts[0, 1:].sum()), int(self.counts[1:, 0].sum())

    @property
    def oil_iou(self) -> float:
        """IoU of any oil class against background."""
        tp, fp, fn = self.oil
        return tp / (tp + fp + fn) if tp + fp + fn else 0.0

    @property
    def oil_f1(self) -> float:
        """F1 of any oil class against background."""
        tp, fp, fn = self.oil
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0

    def to_json(self) -> dict[str, Any]:
        """Every number, per class by name (``None`` for absent classes)."""
        present = self.present
        per_class = {}
        for i, name in enumerate(self.names):
            per_class[name] = {
                "support": int(self.support[i]), "predicted": int(self.predicted[i]),
                **{key: (float(getattr(self, key)[i]) if present[i] else None)
                   for key in ("precision", "recall", "f1", "iou")},
            }
        return {
            "accuracy": self.accuracy, "macro_f1": self.macro_f1,
            "macro_f1_oil": self.macro_f1_oil, "mean_iou": self.mean_iou,
            "oil_iou": self.oil_iou, "oil_f1": self.oil_f1,
            "per_class": per_class,
            "confusion": {"counts": self.counts.tolist(),
                          "normed_true": np.round(self.normed_true, 6).tolist(),
                          "normed_pred": np.round(self.normed_pred, 6).tolist()},
        }


@dataclass(frozen=True)
class ThresholdSweep:
    """Pixel metrics at every confidence threshold ``b / n_bins``.

    A pixel is predicted as its best oil class when its oil confidence reaches the
    threshold, else as background. Confidence is the summed oil probability
    (1 − p(background)) for semantic models and the highest covering instance score
    for instance models.
    """

    names: tuple[str, ...]
    histogram: Int64Array

    @property
    def thresholds(self) -> Float64Array:
        """The thresholds, one per bin."""
        thresholds: Float64Array = np.arange(self.histogram.shape[0]) / self.histogram.shape[0]
        return thresholds

    def at(self) -> list[PixelMetrics]:
        """The pixel metrics at every threshold."""
        return [PixelMetrics(self.names, c) for c in sweep_counts(self.histogram)]

    def to_json(self) -> dict[str, Any]:
        """Curves (oil precision/recall/F1/IoU, oil macro F1) and the best threshold."""
        curves: dict[str, list[float]] = {"oil_precision": [], "oil_recall": [], "oil_f1": [],
                                          "oil_iou": [], "macro_f1_oil": []}
        for metrics in self.at():
            tp, fp, fn = metrics.oil
            curves["oil_precision"].append(tp / (tp + fp) if tp + fp else 1.0)
            curves["oil_recall"].append(tp / (tp + fn) if tp + fn else 0.0)
            curves["oil_f1"].append(metrics.oil_f1)
            curves["oil_iou"].append(metrics.oil_iou)
            curves["macro_f1_oil"].append(metrics.macro_f1_oil)
        best = int(np.argmax(curves["oil_f1"]))
        return {"thresholds": [round(float(t), 6) for t in self.thresholds],
                **{k: [round(v, 6) for v in vals] for k, vals in curves.items()},
                "best": {"threshold": float(self.thresholds[best]),
                         "oil_f1": curves["oil_f1"][best],
                         "oil_iou": curves["oil_iou"][best],
                         "macro_f1_oil": curves["macro_f1_oil"][best]}}


__all__ = ["PixelMetrics", "ThresholdSweep"]
