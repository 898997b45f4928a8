"""Diagnostic: instance matching on single tiles, the tile instance confusion matrix.

This scores a model's *raw* per-tile outputs (a UNet's argmax components, a Mask R-CNN's
instances above ``score_threshold``) tile by tile, before any of the served
post-processing and before slicks cut by tile edges are put back together. It shows how
the network behaves; it is never a headline number (those are slick-level, see
:mod:`cerulean_eval.metrics`), and it lives under ``diagnostic.tiles`` in metrics.json.

On each tile, predictions are taken in descending score order; each is matched to
the still unmatched true instance it overlaps most, provided the overlap (mask Dice,
or IoU) reaches the threshold. Matching ignores classes, so a slick found with the
wrong class shows up off the diagonal instead of as one miss plus one false alarm.

The instance confusion matrix is ``(K) × (K)`` like the pixel one, with index 0
standing for "no instance": ``M[t, p]`` counts matches of a true class-``t``
instance with a class-``p`` prediction, ``M[t, 0]`` true instances nobody matched
(missed) and ``M[0, p]`` predictions that matched nothing (false). Its F1 counts a match
as a true positive only when the classes agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cerulean_eval.records import PredInstance, TruthInstance
from cerulean_tiling.arrays import Float64Array, Int64Array

MatchMetric = Literal["dice", "iou"]


def overlaps(truth: Sequence[TruthInstance], preds: Sequence[PredInstance],
             metric: MatchMetric) -> Float64Array:
    """Mask Dice or IoU between every true and predicted instance ``[T, P]``.

    Intersections are counted inside each prediction's patch, and only for pairs
    whose boxes meet, so thousands of small components cost little.
    """
    out = np.zeros((len(truth), len(preds)))
    if not truth or not preds:
        return out
    t_area = [float(np.count_nonzero(t.mask)) for t in truth]
    t_rows = [np.flatnonzero(t.mask.any(axis=1)) for t in truth]
    t_cols = [np.flatnonzero(t.mask.any(axis=0)) for t in truth]
    for j, pred in enumerate(preds):
        rows, cols = pred.window
        p_area = float(pred.area)
        for i, t in enumerate(truth):
            if not t_rows[i].size or not p_area or t_rows[i][0] >= rows.stop \
                    or t_rows[i][-1] < rows.start or t_cols[i][0] >= cols.stop \
                    or t_cols[i][-1] < cols.start:
                continue
            inter = float(np.count_nonzero(t.mask[rows, cols] & pred.patch))
            if inter:
                out[i, j] = (2 * inter / (t_area[i] + p_area) if metric == "dice"
                             else inter / (t_area[i] + p_area - inter))
    return out


def match(truth: Sequence[TruthInstance], preds: Sequence[PredInstance],
          threshold: float, metric: MatchMetric) -> list[tuple[int, int]]:
    """Greedy one-to-one matching, highest score first; returns (truth, pred) index pairs."""
    scores = overlaps(truth, preds, metric)
    order = sorted(range(len(preds)), key=lambda j: -preds[j].score)
    taken = np.zeros(len(truth), dtype=bool)
    pairs = []
    for j in order:
        if not len(truth):
            break
        column = np.where(taken, -1.0, scores[:, j])
        i = int(np.argmax(column))
        if column[i] >= threshold and column[i] > 0:
            taken[i] = True
            pairs.append((i, j))
    return pairs


@dataclass
class InstanceConfusion:
    """Accumulates the instance confusion matrix over tiles."""

    names: tuple[str, ...]
    threshold: float = 0.5
    metric: MatchMetric = "dice"

    def __post_init__(self) -> None:
        self.counts: Int64Array = np.zeros((len(self.names), len(self.names)), dtype=np.int64)

    def add(self, truth: Sequence[TruthInstance], preds: Sequence[PredInstance]) -> None:
        """Match one tile's instances and count the outcome."""
        pairs = match(truth, preds, self.threshold, self.metric)
        matched_t = {i for i, _ in pairs}
        matched_p = {j for _, j in pairs}
        for i, j in pairs:
            self.counts[truth[i].label, preds[j].label] += 1
        for i, t in enumerate(truth):
            if i not in matched_t:
                self.counts[t.label, 0] += 1
        for j, p in enumerate(preds):
            if j not in matched_p:
                self.counts[0, p.label] += 1

    def per_class(self) -> dict[str, dict[str, float | int]]:
        """Matched / missed / false counts, precision, recall and F1 per oil class."""
        out: dict[str, dict[str, float | int]] = {}
        for c in range(1, len(self.names)):
            tp = int(self.counts[c, c])
            n_true = int(self.counts[c, :].sum())
            n_pred = int(self.counts[:, c].sum())
            out[self.names[c]] = {"true": n_true, "predicted": n_pred, "matched": tp,
                                  "missed": int(self.counts[c, 0]),
                                  "false": int(self.counts[0, c]), **_prf(tp, n_true, n_pred)}
        return out

    def totals(self) -> dict[str, float | int]:
        """Counts and precision, recall, F1 over all oil classes together."""
        tp = int(np.trace(self.counts[1:, 1:]))
        n_true = int(self.counts[1:, :].sum())
        n_pred = int(self.counts[:, 1:].sum())
        return {"true": n_true, "predicted": n_pred, "matched_any_class": int(
            self.counts[1:, 1:].sum()), "matched": tp, "missed": int(self.counts[1:, 0].sum()),
                "false": int(self.counts[0, 1:].sum()), **_prf(tp, n_true, n_pred)}

    def to_json(self) -> dict[str, Any]:
        """Settings, matrix, totals and per-class numbers."""
        return {"metric": self.metric, "threshold": self.threshold,
                "confusion": self.counts.tolist(), **self.totals(),
                "per_class": self.per_class()}


def _prf(tp: int, n_true: int, n_pred: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    den = n_true + n_pred
    return {"precision": precision, "recall": recall, "f1": 2 * tp / den if den else 0.0}


__all__ = ["InstanceConfusion", "MatchMetric", "match", "overlaps"]
