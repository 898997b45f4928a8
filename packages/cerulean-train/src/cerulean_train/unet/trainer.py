"""The UNet family: the production recipe on a fastai ``Learner``, one epoch at a time.

The recipe: CrossEntropy loss, Adam, a one-cycle schedule (peak ``lr``, weight decay
``wd``) over each progressive-resizing stage, gradient accumulation, mixed precision on
CUDA. Each stage trains ``epochs`` epochs on images of its ``size`` (crops or resized
whole tiles, per ``crop``), with the encoder frozen or not. After every epoch the
model is validated on the validation dataset's **whole tiles** at their own size
(``dice_multi``, ``oil_iou``, ``iou_<class>``).

The epoch loop, checkpoints, history, TensorBoard and the run summary are the shared
engine's (:mod:`cerulean_train.engine`); this module is the UNet's
:class:`~cerulean_train.engine.Family`. Its epoch is one ``Learner.fit(1)`` whose
schedule sees the epoch's place in its stage's cycle, and everything random in an epoch
is seeded from (seed, epoch): so a run resumed from the checkpoint of epoch k continues
exactly as the unbroken run did (same batches, same crops, same learning rates, same
optimiser state).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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
from cerulean_train.devices import Processes, processes, resolve_device
from cerulean_train.engine import EpochCallback, RunData, TileGrid, TrainResult, train
from cerulean_train.errors import BackboneError, DatasetError
from cerulean_train.run import RunFolder
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
    """One UNet run: the UNet :class:`~cerulean_train.engine.Family` of the shared engine.

    Construction checks every input (datasets, channels, classes, backbone, weights,
    output folder) and writes nothing, so bad input fails before a run folder exists.
    """

    arch = "unet"

    def __init__(self, config: UNetConfig, output: Path, *, resume: bool = False,
                 progress: bool = True) -> None:
        self.config = config
        self.procs: Processes = processes()
        self.device = resolve_device(config.device, self.procs)
        self.progress = progress and self.procs.main
        train_coco = open_dataset(config.train, "train")
        val = open_dataset(config.val, "val")
        self.classes = ClassMap.build(train_coco.categories, config.classes_preset)
        val_classes = ClassMap.build(val.categories, config.classes_preset)
        if val_classes.names != self.classes.names:
            raise DatasetError(f"{val.root}: its classes {list(val_classes.names)} differ from "
                               f"the training dataset's {list(self.classes.names)}")
        first = config.schedule[0]
        self.train_ds = SemanticDataset(
            train_coco, config.channels, self.classes, size=first.size, crop=config.crop,
            slick_bias=config.slick_bias, augment=_augmenter(config), seed=config.seed,
            negatives=config.negatives, repeats=config.repeats)
        self.val_ds = SemanticDataset(val, config.channels, val_classes, crop="whole")
        require_slicks(train_coco, self.classes, "training")
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
        self.epochs = len(self.steps)
        self.monitor = config.monitor
        self.patience = config.patience
        self.seed = config.seed
        self.data = RunData(self.classes, tuple(config.channels), TileGrid.of(train_coco),
                            len(self.train_ds), len(self.val_ds))
        self.learn: Any = None
        self._train_dl: Any = None
        self._saved_opt: Any = None
        self._stage_begun = False
        self._recorded: dict[str, float] = {}

    def run(self, on_epoch: EpochCallback | None = None) -> TrainResult:
        """Train (or continue) the run; returns its result.

        Raises:
            CheckpointError: ``resume`` and the last checkpoint is unreadable.
        """
        return train(self, self.config, self.folder, procs=self.procs, device=self.device,
                     resume=self.resume, on_epoch=on_epoch)

    def begin(self) -> None:
        """Build the fastai ``Learner`` (its optimiser is made per stage)."""
        from fastai.callback.progress import ProgressCallback
        from fastai.callback.training import GradientAccumulation
        from fastai.data.core import DataLoaders
        from fastai.data.load import DataLoader
        from fastai.learner import Learner
        from fastai.optimizer import Adam

        from cerulean_train.unet.losses import unet_loss
        from cerulean_train.unet.metrics import unet_metrics

        config = self.config
        self._train_dl = DataLoader(self.train_ds, bs=config.batch_size, shuffle=True,
                                    drop_last=len(self.train_ds) >= config.batch_size,
                                    num_workers=config.num_workers, worker_init_fn=worker_init)
        val_dl = DataLoader(self.val_ds, bs=config.val_batch_size, shuffle=False,
                            num_workers=config.num_workers, worker_init_fn=worker_init)
        dls = DataLoaders(self._train_dl, val_dl, device=self.device)
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
        self.learn = learn

    def load_optimizer(self, state: dict[str, Any]) -> None:
        """Keep the checkpoint's Adam state for the first epoch: a stage's optimiser is
        made when the stage begins, so it is loaded only when resuming mid-stage."""
        self._saved_opt = state["adam"]

    def optimizer_state(self) -> dict[str, Any]:
        """fastai's Adam state, as tensors and builtins."""
        return {"adam": _plain(self.learn.opt.state_dict())}

    @contextmanager
    def data_parallel(self) -> Iterator[None]:
        """Under torchrun, fastai's distributed trainer (see :mod:`.distributed`)."""
        if not self.procs.distributed:
            yield
            return
        from cerulean_train.unet.distributed import distributed

        with distributed(self.learn, self.device):
            yield

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """One ``Learner.fit(1)`` on this epoch's crops and batch order (fastai
        validates at its end; :meth:`validate` reads what it recorded)."""
        config, step = self.config, self.steps[epoch]
        if step.epoch_in_stage == 0 or not self._stage_begun:
            self._begin_stage(step, self._saved_opt if step.epoch_in_stage > 0 else None)
            self._stage_begun = True
        self.train_ds.set_epoch(step.epoch)
        # fastai shuffles with the loader's own generator, not the global one.
        self._train_dl.rng = random.Random(epoch_seed(config.seed, step.epoch))
        self.learn.fit(1, lr=config.lr, wd=config.wd,
                       cbs=[_cycle(step.epoch_in_stage, step.stage.epochs, config.lr)])
        names = self.learn.recorder.metric_names[1:-1]
        values = self.learn.recorder.values[-1]
        self._recorded = {str(n): float(v) for n, v in zip(names, values, strict=True)}
        return {"stage": step.stage_index, "size": step.stage.size,
                "train_loss": self._recorded["train_loss"]}

    def validate(self, epoch: int) -> dict[str, float]:
        """The validation loss and metrics fastai recorded at the end of the epoch."""
        return {k: v for k, v in self._recorded.items() if k != "train_loss"}

    def monitored(self, row: Mapping[str, Any]) -> dict[str, float]:
        """The monitored overlap score (higher is better as it is)."""
        return {self.monitor: float(row[self.monitor])}

    def kept_metrics(self, row: Mapping[str, Any]) -> dict[str, float]:
        """The best epoch's losses and validation metrics."""
        return {k: v for k, v in row.items() if isinstance(v, float) and k != "seconds"}

    def _begin_stage(self, step: EpochStep, opt_state: Any) -> None:
        learn = self.learn
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


def train_unet(config: UNetConfig, output: Path, *, resume: bool = False,
               progress: bool = True, on_epoch: EpochCallback | None = None) -> TrainResult:
    """Train a UNet run into ``output`` (or continue it with ``resume``); ``on_epoch``
    is called with each finished epoch's history row (rank 0 only).

    Raises:
        DatasetError, ChannelError: the datasets cannot feed the run.
        BackboneError: unknown backbone, missing pretrained weights, unfit weights.
        OutputError: ``output`` holds something else, or cannot be written.
        ConfigError: resuming with other settings.
    """
    return UNetTraining(config, output, resume=resume, progress=progress).run(on_epoch)


def _augmenter(config: UNetConfig) -> Any:
    if not config.augment:
        return None
    from cerulean_train.augment import Augmenter

    return Augmenter()


def _cycle(epoch_in_stage: int, epochs: int, lr: float) -> Any:
    """fastai's one-cycle schedule (``fit_one_cycle``'s defaults), seen from one epoch.

    ``ParamScheduler`` calls each schedule with the fit's progress 0–1; a fit here is one
    epoch of a stage of ``epochs``, so each schedule is composed with the map from the
    epoch's own progress to its share of the stage's cycle, ``(k + pct) / epochs``.
    """
    from fastai.callback.schedule import ParamScheduler, combined_cos

    def share(curve: Callable[[float], float]) -> Callable[[float], float]:
        return lambda pct: curve(min((epoch_in_stage + pct) / epochs, 1.0))

    return ParamScheduler({"lr": share(combined_cos(0.25, lr / 25, lr, lr / 1e5)),
                           "mom": share(combined_cos(0.25, 0.95, 0.85, 0.95))})


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


__all__ = ["EpochStep", "UNetTraining", "load_weights", "open_dataset", "schedule",
           "train_unet"]
