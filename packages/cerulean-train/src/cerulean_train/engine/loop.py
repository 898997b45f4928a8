"""The epoch loop both model families train in.

:func:`train` runs a :class:`~cerulean_train.engine.family.Family` in a run folder:

1. join torchrun's process group (when there is one); let the family build its
   optimiser; on ``resume``, restore the last checkpoint (weights, optimiser state,
   history, early stopping), else write the run's config;
2. for each remaining epoch: seed the global generators from ``(seed, epoch)``, let
   the family train one epoch, copy rank 0's buffers to every process, let the family
   validate, update early stopping, then (rank 0) write the checkpoint, the history row
   and the TensorBoard scalars;
3. keep the best epoch's weights as ``weights.pt`` and write ``run.json``
   (:class:`~cerulean_train.engine.summary.RunSummary`).

An epoch depends only on the checkpoint it starts from and ``(seed, epoch)``, so a run
resumed from the checkpoint of epoch k ends with the same weights as an unbroken one
(on CPU; CUDA kernels are not bit-reproducible). A new run that fails before its first
checkpoint leaves nothing (:meth:`RunFolder.new_run_guard`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from cerulean_tiling.errors import first_line
from cerulean_train.config import RunConfig
from cerulean_train.data.seeding import epoch_seed, seed_everything
from cerulean_train.devices import Processes, init_process_group
from cerulean_train.engine.checkpoint import Checkpoint, cpu_state
from cerulean_train.engine.distributed import (
    barrier,
    broadcast_buffers,
    gather_all,
    weights_digest,
)
from cerulean_train.engine.early_stopping import EarlyStopping
from cerulean_train.engine.family import Family
from cerulean_train.engine.result import TrainResult
from cerulean_train.engine.summary import RunSummary
from cerulean_train.engine.tensorboard import scalars
from cerulean_train.errors import CheckpointError, DatasetError
from cerulean_train.run import RunFolder
from cerulean_train.statedict import load_fitting

log = logging.getLogger(__name__)

EpochCallback = Callable[[dict[str, Any]], None]
"""Called with each finished epoch's row (rank 0 only), after its checkpoint."""


def train(family: Family, config: RunConfig, folder: RunFolder, *, procs: Processes,
          device: torch.device, resume: bool = False,
          on_epoch: EpochCallback | None = None) -> TrainResult:
    """Train (or, with ``resume``, continue) ``family``'s run in ``folder``.

    Args:
        family: the model family's part of the run (model, data, epoch step).
        config: the run's config (written to the folder when the run is new).
        folder: the run folder, checked by :meth:`RunFolder.prepare`.
        procs: this process's place under torchrun.
        device: the device the run trains on (its backend picks gloo or NCCL).
        resume: continue from the folder's last checkpoint.
        on_epoch: called with each finished epoch's row (rank 0 only).

    Raises:
        CheckpointError: ``resume`` and the last checkpoint is unreadable or does not
            fit the run.
    """
    created = init_process_group(device, procs)
    try:
        with folder.new_run_guard(procs.main and not resume):
            return _Loop(family, config, folder, procs).run(resume, on_epoch)
    finally:
        if created:
            torch.distributed.destroy_process_group()


class _Loop:
    """One invocation's training state."""

    def __init__(self, family: Family, config: RunConfig, folder: RunFolder,
                 procs: Processes) -> None:
        self.family, self.config, self.folder, self.procs = family, config, folder, procs
        self.early = EarlyStopping(family.monitor, family.patience)
        self.history: list[dict[str, Any]] = []
        self.stopped = False

    def run(self, resume: bool, on_epoch: EpochCallback | None) -> TrainResult:
        began = time.monotonic()
        family = self.family
        family.begin()
        last = self.folder.last_checkpoint() if resume else None
        if last is not None:
            self._restore(last)
        elif self.procs.main and not resume:
            self.folder.start(self.config)
        barrier(self.procs)
        with family.data_parallel(), scalars(self.folder.tensorboard, self.procs.main) as tb:
            for epoch in range(len(self.history), family.epochs):
                if self.stopped:
                    break
                row = self._epoch(epoch)
                if self.procs.main:
                    tb.add_row(epoch, row)
                    if on_epoch is not None:
                        on_epoch(row)
                barrier(self.procs)
        return self._finish(time.monotonic() - began)

    def _epoch(self, epoch: int) -> dict[str, Any]:
        family = self.family
        began = time.monotonic()
        seed_everything(epoch_seed(family.seed, epoch))
        row: dict[str, Any] = {"epoch": epoch, **family.train_epoch(epoch)}
        broadcast_buffers(self.procs, family.model)
        row.update(family.validate(epoch))
        row["seconds"] = time.monotonic() - began
        self.history.append(row)
        self.stopped = self.early.update(epoch, family.monitored(row))
        if self.procs.main:
            Checkpoint(epoch=epoch, model=cpu_state(family.model),
                       optimizer=family.optimizer_state(), history=self.history,
                       early=self.early.state(), stopped=self.stopped,
                       ).save(self.folder.checkpoint_path(epoch))
            self.folder.write_history(self.history)
        log.info("epoch %d/%d: %s", epoch + 1, family.epochs,
                 ", ".join(f"{k} {v:.4g}" for k, v in row.items()
                           if k != "epoch" and isinstance(v, float)))
        if self.stopped:
            log.info("early stopping: %s did not improve for %d epochs", self.early.monitor,
                     self.early.patience)
        return row

    def _restore(self, path: Path) -> None:
        saved = Checkpoint.load(path)
        load_fitting(self.family.model, saved.model, path, "this run's model", CheckpointError)
        try:
            self.family.load_optimizer(saved.optimizer)
            self.early = EarlyStopping(**saved.early)
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{path}: does not fit this run ({first_line(exc)})"
                                  ) from None
        self.history = list(saved.history)
        self.stopped = saved.stopped
        log.info("resuming %s after epoch %d", self.folder.path, saved.epoch + 1)

    def _finish(self, seconds: float) -> TrainResult:
        family, history = self.family, self.history
        if not history:
            raise DatasetError(f"{self.folder.path}: nothing was trained")
        best = self.early.best_epoch if self.early.best_epoch >= 0 else history[-1]["epoch"]
        row = next(r for r in history if r["epoch"] == best)
        metrics = family.kept_metrics(row)
        digests = gather_all(self.procs, [weights_digest(family.model)])
        if self.procs.main:
            kept = Checkpoint.load(self.folder.checkpoint_path(best))
            self.folder.save_weights(kept.model)
            data = family.data
            RunSummary(
                status="complete", arch=family.arch, epochs=len(history), best_epoch=best,
                monitor=family.monitor, stopped_early=self.stopped,
                classes=list(data.classes.names),
                category_ids=list(data.classes.category_ids),
                channels=list(data.channels), metrics=dict(metrics), grid=data.grid,
                train_tiles=data.train_tiles, val_tiles=data.val_tiles,
                weights_digests=digests, seconds_last_invocation=seconds,
            ).write(self.folder.path)
        return TrainResult(self.folder.path, len(history), best, metrics, self.stopped,
                           seconds, history, digests)


__all__ = ["EpochCallback", "train"]
