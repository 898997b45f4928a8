from __future__ import annotations

import numpy as np
import pytest

from cerulean_eval import confusion_counts, score_histogram
from cerulean_eval.metrics import PixelMetrics, ThresholdSweep

metrics_mod = pytest.importorskip("sklearn.metrics")

NAMES = ("background", "a", "b", "c")


def test_per_class_and_macro_equal_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, 5000).astype(np.uint8)  # class 3 never true ...
    pred = rng.integers(0, 3, 5000).astype(np.uint8)
    pred[:7] = 3  # ... but predicted a few times, so it is present
    m = PixelMetrics(NAMES, confusion_counts(truth, pred, 4))
    labels = [0, 1, 2, 3]
    kw = {"labels": labels, "average": None, "zero_division": 0}
    np.testing.assert_allclose(m.precision, metrics_mod.precision_score(truth, pred, **kw))
    np.testing.assert_allclose(m.recall, metrics_mod.recall_score(truth, pred, **kw))
    np.testing.assert_allclose(m.f1, metrics_mod.f1_score(truth, pred, **kw))
    np.testing.assert_allclose(m.iou, metrics_mod.jaccard_score(truth, pred, **kw))
    assert m.macro_f1 == pytest.approx(metrics_mod.f1_score(truth, pred, average="macro"))
    assert m.macro_f1_oil == pytest.approx(
        metrics_mod.f1_score(truth, pred, labels=[1, 2, 3], average="macro", zero_division=0))
    assert m.accuracy == pytest.approx(metrics_mod.accuracy_score(truth, pred))


def test_absent_class_is_left_out_and_null() -> None:
    truth = np.array([0, 0, 1, 1], np.uint8)
    pred = np.array([0, 0, 1, 0], np.uint8)
    m = PixelMetrics(NAMES, confusion_counts(truth, pred, 4))
    doc = m.to_json()
    assert doc["per_class"]["b"]["f1"] is None and doc["per_class"]["c"]["iou"] is None
    assert m.macro_f1_oil == pytest.approx(2 / 3)  # class a only: 2·1 / (2 + 1)


def test_oil_iou_merges_oil_classes() -> None:
    # 2 oil px predicted as the other oil class still count as oil; 1 fp, 1 fn.
    truth = np.array([1, 2, 1, 0, 2, 0], np.uint8)
    pred = np.array([2, 1, 1, 1, 0, 0], np.uint8)
    m = PixelMetrics(NAMES, confusion_counts(truth, pred, 4))
    assert m.oil == (3, 1, 1)
    assert m.oil_iou == pytest.approx(3 / 5)
    assert m.oil_f1 == pytest.approx(6 / 8)


def test_normalised_matrices() -> None:
    truth = np.array([0, 0, 0, 1, 1], np.uint8)
    pred = np.array([0, 1, 1, 1, 0], np.uint8)
    m = PixelMetrics(NAMES[:2], confusion_counts(truth, pred, 2))
    np.testing.assert_allclose(m.normed_true, [[1 / 3, 2 / 3], [0.5, 0.5]])
    np.testing.assert_allclose(m.normed_pred, [[0.5, 2 / 3], [0.5, 1 / 3]])


def test_sweep_curves_and_best_threshold() -> None:
    truth = np.array([0, 0, 1, 1, 1, 0], np.uint8)
    label = np.ones(6, np.uint8)
    score = np.array([0.1, 0.6, 0.7, 0.8, 0.3, 0.2], np.float32)
    sweep = ThresholdSweep(NAMES[:2], score_histogram(truth, label, score, 2, 10)).to_json()
    # At 0.7 two of three oil pixels are found and nothing is false: F1 0.8; at 0.3
    # all three are found with one false pixel: F1 6/7, the best.
    assert sweep["oil_f1"][7] == pytest.approx(0.8)
    assert sweep["oil_f1"][3] == pytest.approx(6 / 7)
    assert sweep["best"]["threshold"] == pytest.approx(0.3)
    assert sweep["oil_recall"][0] == 1.0 and sweep["oil_precision"][0] == 0.5
