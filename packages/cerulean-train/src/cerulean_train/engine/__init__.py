"""The training engine both model families share.

One epoch loop (:func:`train`) over a family's :class:`Family` part: resume, seeding,
early stopping, checkpoints (:class:`Checkpoint`), history, TensorBoard scalars, the
run summary (:class:`RunSummary`, ``run.json``), the result (:class:`TrainResult`) and
the torchrun helpers (:mod:`cerulean_train.engine.distributed`).
"""

from __future__ import annotations

from cerulean_train.engine.checkpoint import LAYOUT, Checkpoint, cpu_state
from cerulean_train.engine.early_stopping import EarlyStopping
from cerulean_train.engine.family import Family, RunData
from cerulean_train.engine.loop import EpochCallback, train
from cerulean_train.engine.result import TrainResult
from cerulean_train.engine.summary import SUMMARY, RunSummary, TileGrid
from cerulean_train.engine.tensorboard import Scalars, scalars

__all__ = ["LAYOUT", "SUMMARY", "Checkpoint", "EarlyStopping", "EpochCallback", "Family",
           "RunData", "RunSummary", "Scalars", "TileGrid", "TrainResult", "cpu_state",
           "scalars", "train"]
