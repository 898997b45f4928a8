"""Training a UNet: the production recipe on a fastai ``Learner``, one epoch at a time.

The recipe: CrossEntropy loss, Adam, a one-cycle schedule (peak ``lr``, weight decay
``wd``) over each progressive-resizing stage, gradient accumulation, mixed precision on
CUDA. Each stage trains ``epochs`` epochs on images of its ``size`` (crops or resized
whole tiles, per ``crop``), with the encoder frozen or not. After every epoch the
model is validated on the validation dataset's **whole tiles** at their own size
(``dice_multi``, ``oil_iou``, ``iou_<class>``), and a checkpoint, the CSV history and
TensorBoard scalars are written.

Each epoch is one ``Learner.fit(1)`` whose schedule callback sees the epoch's place in
its stage's cycle, and everything random in an epoch is seeded from (seed, epoch): so a
run resumed from the checkpoint of epoch k continues exactly as the unbroken run did
(same batches, same crops, same learning rates, same optimiser state).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cerulean_coco import CeruleanCocoError, CocoDataset
from cerulean_infer import load_state_file
from cerulean_tiling import ClassMap
from cerulean_train.data.seeding import epoch_seed, seed_everything, worker_init
from cerulean_train.data.semantic import SemanticDataset, require_slicks
from cerulean_train.devices import Processes, init_process_group, processes, resolve_device
from cerulean_train.errors import BackboneError, CheckpointError, DatasetError
from cerulean_train.run import EarlyStopping, RunFolder
from cerulean_train.statedict import load_fitting
from cerulean_train.unet.backbones import build_unet, encoder_split
from cerulean_train.unet.config import Stage, UNetConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochStep:
    """One epoch of the schedule: its global number and its place in its stage."""

    epoch: int
    stage_index: int
    stage: Stage
    epoch_in_stage: int


@dataclass(frozen=True)
class TrainResult:
    """What a finished run reports.

    Attributes:
        run_dir: the run folder.
        epochs: epochs trained in total (resumed epochs included).
        best_epoch: the epoch whose weights were kept (by ``monitor``).
        metrics: that epoch's validation metrics.
        seconds: training time of this invocation.
        stopped_early: early stopping ended the run.
    """

    run_dir: Path
    epochs: int
    best_epoch: int
    metrics: dict[str, float]
    seconds: float
    stopped_early: bool


def schedule(config: UNetConfig) -> list[EpochStep]:
    """Every epoch of the run, stages in order."""
    steps: list[EpochStep] = []
    for index, stage in enumerate(config.schedule):
        for k in range(stage.epochs):
            steps.append(EpochStep(len(steps), index, stage, k))
    return steps


def open_dataset(path: str, role: str) -> CocoDataset:
    """Open a training or validation dataset.

    Raises:
        DatasetError: no path given, or no readable dataset there.
    """
    if not path:
        raise DatasetError(f"no {role} dataset given (--{role} DATASET or '{role}:' in the "
                           "config)")
    try:
        return CocoDataset.open(path)
    except CeruleanCocoError as exc:
        raise DatasetError(str(exc)) from None


def load_weights(model: nn.Module, path: str) -> None:
    """Start ``model`` from a state-dict file (a run's ``weights.pt`` or a checkpoint).

    Raises:
        ModelLoadError: the file is unreadable or pickles more than tensors and plain data.
        BackboneError: its tensors do not fit the model.
    """
    state = load_state_file(path)
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict):
        raise BackboneError(f"{path}: holds a {type(state).__name__}, not a state dict")
    load_fitting(model, state, path, "the model", BackboneError)


class UNetTraining:
    """One UNet run, from checked inputs to the kept weights.

    Construction checks every input (datasets, channels, classes, backbone, weights,
    output folder) and writes nothing, so bad input fails before a run folder exists.
    """

    def __init__(self, config: UNetConfig, output: Path, *, resume: bool = False,
                 progress: bool = True) -> None:
        self.config = config
        self.procs: Processes = processes()
        self.device = resolve_device(config.device, self.procs)
        self.progress = progress and self.procs.main
        train = open_dataset(config.train, "train")
        val = open_dataset(config.val, "val")
        self.classes = ClassMap.build(train.categories, config.classes_preset)
        val_classes = ClassMap.build(val.categories, config.classes_preset)
        if val_classes.names != self.classes.names:
            raise DatasetError(f"{val.root}: its classes {list(val_classes.names)} differ from "
                               f"the training dataset's {list(self.classes.names)}")
        first = config.schedule[0]
        self.train_ds = SemanticDataset(
            train, config.channels, self.classes, size=first.size, crop=config.crop,
            slick_bias=config.slick_bias, augment=_augmenter(config), seed=config.seed,
            negatives=config.negatives, repeats=config.repeats)
        self.val_ds = SemanticDataset(val, config.channels, val_classes, crop="whole")
        require_slicks(train, self.classes, "training")
        require_slicks(val, val_classes, "validation")
        seed_everything(config.seed)
        self.model = build_unet(config.backbone, len(config.channels),
                                self.classes.num_classes, pretrained=config.pretrained,
                                img_size=max(im.width for im in val.images))
        if config.weights:
            load_weights(self.model, config.weights)
        self.folder = RunFolder.prepare(output, config, resume)
        self.resume = resume
        self.steps = schedule(config)

    def run(self) -> TrainResult:
        """Train (or continue) the run; returns its result.

        Raises:
            CheckpointError: ``resume`` and the last checkpoint is unreadable.
        """
        created = init_process_group(self.device, self.procs)
        try:
            with self.folder.new_run_guard(self.procs.main and not self.resume):
                return self._run()
        finally:
            if created:
                torch.distributed.destroy_process_group()

    def _run(self) -> TrainResult:
        started = time.monotonic()
        config = self.config
        learn = self._learner()
        early = EarlyStopping(config.monitor, config.patience)
        history: list[dict[str, Any]] = []
        start = 0
        opt_state = None
        stopped = False
        last = self.folder.last_checkpoint() if self.resume else None
        if last is not None:
            state = self.folder.load_checkpoint(last)
            load_fitting(self.model, state["model"], last, "this run's model", CheckpointError)
            opt_state = state["opt"]
            history = list(state["history"])
            early = EarlyStopping(**state["early"])
            stopped = bool(state.get("stopped"))
            start = len(self.steps) if stopped else int(state["epoch"]) + 1
            log.info("resuming %s after epoch %d", self.folder.path, start)
        elif self.procs.main and not self.resume:
            self.folder.start(config)
        with ExitStack() as stack:
            if self.procs.distributed:
                from cerulean_train.unet.distributed import distributed

                stack.enter_context(distributed(learn, cpu=self.device.type == "cpu"))
            writer = stack.enter_context(_tensorboard(self.folder, self.procs.main))
            for step in self.steps[start:]:
                if step.epoch_in_stage == 0 or step.epoch == start:
                    mid_stage = step.epoch == start and step.epoch_in_stage > 0
                    self._begin_stage(learn, step, opt_state if mid_stage else None)
                row = self._epoch(learn, step)
                history.append(row)
                stop = early.update(step.epoch, row)
                stopped = stop
                if self.procs.main:
                    self.folder.save_checkpoint(step.epoch, {
                        "epoch": step.epoch, "model": _cpu_state(self.model),
                        "opt": _plain(learn.opt.state_dict()), "history": history,
                        "early": early.state(), "stopped": stop})
                    self.folder.write_history(history)
                    for key, value in row.items():
                        if key != "epoch" and isinstance(value, float) and math.isfinite(value):
                            writer.add_scalar(key, value, step.epoch)
                log.info("epoch %d/%d: %s", step.epoch + 1, len(self.steps),
                         ", ".join(f"{k} {v:.4g}" for k, v in row.items()
                                   if k != "epoch" and isinstance(v, float)))
                if stop:
                    log.info("early stopping: %s did not improve for %d epochs",
                             early.monitor, early.patience)
                    break
        return self._finish(history, early, stopped, time.monotonic() - started)

    def _learner(self) -> Any:
        from fastai.callback.progress import ProgressCallback
        from fastai.callback.training import GradientAccumulation
        from fastai.data.core import DataLoaders
        from fastai.data.load import DataLoader
        from fastai.learner import Learner
        from fastai.optimizer import Adam

        from cerulean_train.unet.losses import unet_loss
        from cerulean_train.unet.metrics import unet_metrics

        config = self.config
        train_dl = DataLoader(self.train_ds, bs=config.batch_size, shuffle=True,
                              drop_last=len(self.train_ds) >= config.batch_size,
                              num_workers=config.num_workers, worker_init_fn=worker_init)
        val_dl = DataLoader(self.val_ds, bs=config.val_batch_size, shuffle=False,
                            num_workers=config.num_workers, worker_init_fn=worker_init)
        dls = DataLoaders(train_dl, val_dl, device=self.device)
        cbs: list[Any] = []
        if config.grad_accum > 1:
            cbs.append(GradientAccumulation(n_acc=config.batch_size * config.grad_accum))
        learn = Learner(dls, self.model, loss_func=unet_loss(config.loss), opt_func=Adam,
                        lr=config.lr, wd=config.wd, splitter=encoder_split,
                        metrics=unet_metrics(self.classes.names), cbs=cbs,
                        path=self.folder.path, model_dir=".")
        if not self.progress:
            learn.remove_cb(ProgressCallback)
        learn.logger = lambda *args: log.debug("fastai: %s", args)
        if self.device.type == "cuda" and config.mixed_precision:
            learn.to_fp16()
        return learn

    def _begin_stage(self, learn: Any, step: EpochStep, opt_state: Any) -> None:
        self.train_ds.size = step.stage.size
        learn.create_opt()
        if step.stage.mode == "frozen":
            learn.freeze()
        else:
            learn.unfreeze()
        if opt_state is not None:
            learn.opt.load_state_dict(opt_state)
        log.info("stage %d: %d epochs at %d px, %s", step.stage_index + 1, step.stage.epochs,
                 step.stage.size, step.stage.mode)

    def _epoch(self, learn: Any, step: EpochStep) -> dict[str, Any]:
        config = self.config
        seed = epoch_seed(config.seed, step.epoch)
        seed_everything(seed)
        self.train_ds.set_epoch(step.epoch)
        learn.dls.train.rng = random.Random(seed)
        began = time.monotonic()
        learn.fit(1, lr=config.lr, wd=config.wd,
                  cbs=[_cycle(step.epoch_in_stage, step.stage.epochs, config.lr)])
        if self.procs.distributed:
            from cerulean_train.unet.distributed import broadcast_buffers

            broadcast_buffers(self.model)
        names = learn.recorder.metric_names[1:-1]
        values = learn.recorder.values[-1]
        row: dict[str, Any] = {"epoch": step.epoch, "stage": step.stage_index,
                               "size": step.stage.size}
        row.update({str(n): float(v) for n, v in zip(names, values, strict=True)})
        row["seconds"] = time.monotonic() - began
        return row

    def _finish(self, history: list[dict[str, Any]], early: EarlyStopping, stopped: bool,
                seconds: float) -> TrainResult:
        if not history:
            raise DatasetError(f"{self.folder.path}: nothing was trained")
        best = early.best_epoch if early.best_epoch >= 0 else history[-1]["epoch"]
        row = next(r for r in history if r["epoch"] == best)
        metrics = {k: v for k, v in row.items()
                   if isinstance(v, float) and k not in ("seconds",)}
        if self.procs.main:
            state = self.folder.load_checkpoint(self.folder.checkpoint_path(best))
            self.folder.save_weights(state["model"])
            self.folder.write_summary({
                "status": "complete", "arch": "unet", "epochs": len(history),
                "best_epoch": best, "monitor": early.monitor, "stopped_early": stopped,
                "classes": list(self.classes.names),
                "category_ids": list(self.classes.category_ids),
                "channels": list(self.config.channels), "metrics": metrics,
                "grid": _grid(self.train_ds.coco),
                "train_tiles": len(self.train_ds), "val_tiles": len(self.val_ds),
                "seconds_last_invocation": seconds,
            })
        return TrainResult(self.folder.path, len(history), best, metrics, seconds, stopped)


def train_unet(config: UNetConfig, output: Path, *, resume: bool = False,
               progress: bool = True) -> TrainResult:
    """Train a UNet run into ``output`` (or continue it with ``resume``).

    Raises:
        DatasetError, ChannelError: the datasets cannot feed the run.
        BackboneError: unknown backbone, missing pretrained weights, unfit weights.
        OutputError: ``output`` holds something else, or cannot be written.
        ConfigError: resuming with other settings.
    """
    return UNetTraining(config, output, resume=resume, progress=progress).run()


def _grid(coco: CocoDataset) -> dict[str, Any]:
    """The tile grid the training tiles lie on (what a bundle must be served on)."""
    image = coco.images[0]
    zoom = image.tile_index[0] if image.grid == "tms" else None
    return {"grid": image.grid, "zoom": zoom if zoom is not None else 9,
            "tile_size": image.width}


def _augmenter(config: UNetConfig) -> Any:
    if not config.augment:
        return None
    from cerulean_train.augment import Augmenter

    return Augmenter()


def _cycle(epoch_in_stage: int, epochs: int, lr: float) -> Any:
    """fastai's one-cycle schedule (``fit_one_cycle``'s defaults), seen from one epoch:
    the epoch's own progress 0–1 is mapped to its share of the stage's cycle."""
    from fastai.callback.schedule import ParamScheduler, combined_cos

    scheds = {"lr": combined_cos(0.25, lr / 25, lr, lr / 1e5),
              "mom": combined_cos(0.25, 0.95, 0.85, 0.95)}

    class EpochOfCycle(ParamScheduler):  # type: ignore[misc]  # fastai ships no types
        def _update_val(self, pct: float) -> None:
            super()._update_val(min((epoch_in_stage + pct) / epochs, 1.0))

    return EpochOfCycle(scheds)


def _plain(value: Any) -> Any:
    """fastai's optimiser state as builtins and tensors (fastcore ``L`` lists and NumPy
    scalars would not load with ``weights_only``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "L":
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if hasattr(value, "item") and not isinstance(value, (int, float, bool)):
        return value.item()
    return value


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    inner = getattr(model, "module", model)
    return {k: v.detach().cpu().clone() for k, v in inner.state_dict().items()}


class _NoWriter:
    def add_scalar(self, *args: Any) -> None:
        """Discard a scalar (processes other than rank 0 log nothing)."""


def _tensorboard(folder: RunFolder, main: bool) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def writer() -> Iterator[Any]:
        if not main:
            yield _NoWriter()
            return
        from torch.utils.tensorboard import SummaryWriter

        tb = SummaryWriter(str(folder.tensorboard))
        try:
            yield tb
        finally:
            tb.close()

    return writer()


__all__ = ["EpochStep", "TrainResult", "UNetTraining", "load_weights", "open_dataset",
           "schedule", "train_unet"]
