"""Early stopping: improvements reset patience; ties keep the later epoch but do not."""

from __future__ import annotations

from cerulean_train.engine import EarlyStopping


def test_ties_keep_the_later_epoch_without_resetting_patience() -> None:
    early = EarlyStopping("oil_iou", patience=2)
    assert not early.update(0, {"oil_iou": 0.0})
    assert not early.update(1, {"oil_iou": 0.0})
    assert (early.best, early.best_epoch, early.bad_epochs) == (0.0, 1, 1)
    assert not early.update(2, {"oil_iou": 0.3})
    assert (early.best, early.best_epoch, early.bad_epochs) == (0.3, 2, 0)
    assert not early.update(3, {"oil_iou": 0.1})
    assert early.update(4, {"oil_iou": float("nan")})
    assert early.best_epoch == 2
