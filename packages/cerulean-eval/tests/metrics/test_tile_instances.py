from __future__ import annotations

import numpy as np

from cerulean_eval import PredInstance, TruthInstance
from cerulean_eval.metrics import InstanceConfusion, match

NAMES = ("background", "a", "b")


def box(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    m = np.zeros((20, 20), bool)
    m[r0:r1, c0:c1] = True
    return m


def truth(label: int, mask: np.ndarray, n: int) -> TruthInstance:
    return TruthInstance(label, mask, n, int(mask.sum()))


def test_hand_built_instance_confusion_matrix() -> None:
    t = [truth(1, box(0, 4, 0, 4), 1),      # found as a
         truth(1, box(10, 14, 0, 4), 2),    # found, but as b
         truth(2, box(0, 4, 10, 14), 3),    # missed (the prediction overlaps too little)
         truth(2, box(15, 20, 15, 20), 4)]  # found as b
    p = [PredInstance.from_mask(1, 0.9, box(0, 4, 0, 3)),      # Dice 2·12/(16+12) = 0.857
         PredInstance.from_mask(2, 0.8, box(10, 14, 0, 4)),
         PredInstance.from_mask(2, 0.7, box(0, 1, 10, 11)),     # Dice 2/17: no match → false
         PredInstance.from_mask(2, 0.6, box(15, 20, 15, 19)),
         PredInstance.from_mask(1, 0.5, box(6, 8, 6, 8))]       # overlaps nothing → false
    cm = InstanceConfusion(NAMES, threshold=0.5, metric="dice")
    cm.add(t, p)
    np.testing.assert_array_equal(cm.counts, [[0, 1, 1],
                                              [0, 1, 1],
                                              [1, 0, 1]])
    totals = cm.totals()
    assert (totals["matched"], totals["missed"], totals["false"]) == (2, 1, 2)
    # TP 2 of 4 truths and 5 predictions: F1 = 4 / 9.
    assert totals["f1"] == 4 / 9
    per = cm.per_class()
    assert per["a"] == {"true": 2, "predicted": 2, "matched": 1, "missed": 0, "false": 1,
                        "precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_one_to_one_highest_score_first() -> None:
    t = [truth(1, box(0, 10, 0, 10), 1)]
    low = PredInstance.from_mask(1, 0.3, box(0, 10, 0, 10))    # perfect overlap, low score
    high = PredInstance.from_mask(1, 0.9, box(0, 10, 0, 7))    # Dice 0.82, high score: wins
    assert match(t, [low, high], 0.5, "dice") == [(0, 1)]
    cm = InstanceConfusion(NAMES)
    cm.add(t, [low, high])
    assert cm.counts[0, 1] == 1 and cm.counts[1, 1] == 1


def test_iou_threshold_differs_from_dice() -> None:
    t = [truth(1, box(0, 10, 0, 10), 1)]
    p = [PredInstance.from_mask(1, 1.0, box(0, 10, 0, 4))]  # IoU 0.4, Dice 0.571
    assert match(t, p, 0.5, "dice") == [(0, 0)]
    assert match(t, p, 0.5, "iou") == []
    assert match([], p, 0.5, "iou") == [] and match(t, [], 0.5, "iou") == []
