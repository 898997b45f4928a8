"""The Mask R-CNN family: plain torch epochs in the shared engine's loop.

One epoch: every training tile once, in an order drawn from ``(seed, epoch)``, each
tile augmented from ``(seed, epoch, index)``, and torch's generator (which the
detector's proposal sampling draws from) seeded from ``(seed, epoch)`` by the engine.
Losses are summed over the detector's five terms, scaled for gradient accumulation,
clipped and stepped with a one-cycle schedule (per optimiser step); on CUDA they run
under float16 autocast with a gradient scaler. After each epoch the model is validated
(the loss with batch norm frozen, and COCO mask AP of its detections); early stopping
follows ``metric``.

The epoch loop, checkpoints (weights, optimiser, schedule and scaler), history,
TensorBoard and the run summary are the shared engine's (:mod:`cerulean_train.engine`);
this module is the Mask R-CNN's :class:`~cerulean_train.engine.Family`. Under
torchrun, each process trains on its share of the tiles (``DistributedSampler``), DDP
averages the gradients, validation sums and gathers over processes, and only rank 0
writes the run folder.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from cerulean_coco import CocoDataset
from cerulean_infer import load_state_file
from cerulean_tiling import ClassMap
from cerulean_train.augment import Augmenter
from cerulean_train.data.instances import Batch, InstanceDataset, collate_detection
from cerulean_train.data.seeding import seed_everything, worker_init
from cerulean_train.data.semantic import require_slicks
from cerulean_train.devices import Processes, processes, resolve_device
from cerulean_train.engine import EpochCallback, RunData, TileGrid, TrainResult, train
from cerulean_train.engine.distributed import gather_all, sum_all
from cerulean_train.errors import BackboneError, ConfigError
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.metrics import segm_ap
from cerulean_train.maskrcnn.model import load_backbone_weights, make_model
from cerulean_train.run import RunFolder
from cerulean_train.statedict import load_fitting

logger = logging.getLogger(__name__)


def open_datasets(config: MaskRCNNConfig) -> tuple[InstanceDataset, InstanceDataset]:
    """The training and validation datasets of a config (checked before anything runs).

    Raises:
        DatasetError, ChannelError, ConfigError: unusable datasets.
    """
    if not config.train or not config.val:
        raise ConfigError("config: both 'train' and 'val' datasets are needed")
    train_coco = CocoDataset.open(config.train)
    val_coco = CocoDataset.open(config.val)
    classes = ClassMap.build(train_coco.categories, config.classes_preset)
    augment = Augmenter() if config.augment else None
    train = InstanceDataset(train_coco, config.channels, classes, size=config.size,
                            augment=augment, seed=config.seed, negatives=config.negatives,
                            min_area=config.min_area)
    # Validation tiles keep their own size: the model resizes them to ``size`` inside, as
    # it does when served, and its masks come back at the tiles' resolution, where the
    # truth is; so the validation AP is the one cerulean-eval measures on the bundle.
    val = InstanceDataset(val_coco, config.channels, classes, size=None,
                          seed=config.seed, min_area=config.min_area)
    require_slicks(train_coco, classes, "training")
    # Validation tiles keep their size, so the run's min_area applies to them as recorded.
    require_slicks(val_coco, classes, "validation", config.min_area)
    return train, val


def _optimizer(config: MaskRCNNConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.wd)
    return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.wd)


def _load_start_weights(model: nn.Module, config: MaskRCNNConfig) -> None:
    """``weights``: a whole-model state dict (a ``best.pt``) or a backbone one."""
    if config.weights is None:
        load_backbone_weights(model, config.backbone, pretrained=config.pretrained)
        return
    path = Path(config.weights)
    state = load_state_file(path)
    if isinstance(state, dict) and set(state) == set(model.state_dict()):
        load_fitting(model, state, path, f"a {config.backbone} Mask R-CNN", BackboneError)
        logger.info("started from the whole model in %s", path)
        return
    load_backbone_weights(model, config.backbone, weights=path)


@contextmanager
def _frozen_norm(model: nn.Module) -> Iterator[None]:
    """Training mode (so the detector returns losses) with batch norm in eval mode, so
    validation does not move the running statistics."""
    was_training = model.training
    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _to(batch: Batch, device: torch.device) -> Batch:
    images, targets = batch
    return ([i.to(device, non_blocking=True) for i in images],
            [{k: v.to(device, non_blocking=True) for k, v in t.items()} for t in targets])


def _loader(dataset: InstanceDataset, config: MaskRCNNConfig, procs: Processes,
            batch_size: int, shuffle: bool) -> tuple[DataLoader[Any], DistributedSampler[Any]]:
    sampler: DistributedSampler[Any] = DistributedSampler(
        dataset, num_replicas=procs.world_size, rank=procs.rank, shuffle=shuffle, seed=config.seed)
    loader: DataLoader[Any] = DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=config.num_workers,
        collate_fn=collate_detection, worker_init_fn=worker_init,
        persistent_workers=False, pin_memory=False)
    return loader, sampler


def evaluate(model: nn.Module, loader: DataLoader[Any], device: torch.device,
             procs: Processes, num_classes: int) -> dict[str, float]:
    """Validation loss (mean per image) and COCO mask AP over the whole loader."""
    total, count = 0.0, 0
    targets_all: list[dict[str, torch.Tensor]] = []
    found_all: list[dict[str, torch.Tensor]] = []
    with torch.no_grad():
        for batch in loader:
            images, targets = _to(batch, device)
            with _frozen_norm(model):
                losses = model(images, targets)
            total += float(sum(losses.values())) * len(images)
            count += len(images)
            model.eval()
            found = model(images)
            targets_all.extend({"masks": t["masks"].cpu(), "labels": t["labels"].cpu()}
                               for t in targets)
            found_all.extend({k: v.cpu() for k, v in f.items()} for f in found)
    total, seen = sum_all(procs, [total, float(count)])
    targets_all = gather_all(procs, targets_all)
    found_all = gather_all(procs, found_all)
    return {"val_loss": total / max(seen, 1.0),
            **segm_ap(targets_all, found_all, num_classes)}


def train_maskrcnn(config: MaskRCNNConfig, output: Path, *, resume: bool = False,
                   progress: bool = True, on_epoch: EpochCallback | None = None,
                   ) -> TrainResult:
    """Train a Mask R-CNN as ``config`` says, into the run folder ``output``.

    Args:
        config: the run's settings.
        output: the run folder (new or empty unless ``resume``; see
            :class:`cerulean_train.run.RunFolder` for what it holds).
        resume: continue the run in ``output`` from its last finished epoch.
        progress: show a progress bar over each epoch's batches (rank 0 only).
        on_epoch: called with each finished epoch's metrics row (rank 0 only).

    Raises:
        ConfigError, DatasetError, ChannelError, BackboneError: bad inputs, found
            before anything is written.
        OutputError: ``output`` holds something else, or cannot be written.
        CheckpointError: an unreadable checkpoint.
    """
    family = MaskRCNNTraining(config, output, resume=resume, progress=progress)
    return train(family, config, family.folder, procs=family.procs, device=family.device,
                 resume=resume, on_epoch=on_epoch)


class MaskRCNNTraining:
    """One Mask R-CNN run: the Mask R-CNN :class:`~cerulean_train.engine.Family` of the
    shared engine.

    Construction checks every input (datasets, channels, backbone, weights, output
    folder) and writes nothing, so bad input fails before a run folder exists.
    """

    arch = "maskrcnn"

    def __init__(self, config: MaskRCNNConfig, output: Path, *, resume: bool = False,
                 progress: bool = True) -> None:
        self.config = config
        self.procs = processes()
        self.device = resolve_device(config.device, self.procs)
        self.progress = progress and self.procs.main
        self.train_set, self.val_set = open_datasets(config)
        spec = config.model_spec(self.train_set.classes.num_classes)
        self.folder = RunFolder.prepare(output, config, resume)
        seed_everything(config.seed)
        model = make_model(spec)
        _load_start_weights(model, config)
        self.model: nn.Module = model.to(self.device)
        self.epochs = config.epochs
        self.monitor: str = config.monitor
        self.patience = config.patience
        self.seed = config.seed
        self.data = RunData(self.train_set.classes, tuple(config.channels),
                            TileGrid.of(self.train_set.coco), len(self.train_set),
                            len(self.val_set))
        self.amp = self.device.type == "cuda" and config.mixed_precision
        self._trained: nn.Module = self.model

    def begin(self) -> None:
        """Make the loaders, the optimiser, its one-cycle schedule and the grad scaler."""
        config, procs = self.config, self.procs
        self.train_loader, self.sampler = _loader(self.train_set, config, procs,
                                                  config.batch_size, True)
        self.val_loader, _ = _loader(self.val_set, config, procs, config.val_batch_size,
                                     False)
        self.optimizer = _optimizer(config, self.model)
        steps = math.ceil(len(self.train_loader) / config.grad_accum)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.lr, total_steps=config.epochs * steps)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)

    def load_optimizer(self, state: dict[str, Any]) -> None:
        """Restore the optimiser, the schedule's step and the grad scaler."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])

    def optimizer_state(self) -> dict[str, Any]:
        """The optimiser, schedule and grad scaler states."""
        return {"optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "scaler": self.scaler.state_dict()}

    @contextmanager
    def data_parallel(self) -> Iterator[None]:
        """Under torchrun, train through DistributedDataParallel."""
        if self.procs.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self._trained = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        try:
            yield
        finally:
            self._trained = self.model

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """One pass over this process's share of the training tiles; the mean losses
        (over every process) and the learning rate it ended at."""
        self.train_set.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        losses = _train_epoch(self._trained, self.train_loader, self.optimizer, self.schedule,
                              self.scaler, self.config, self.device, self.amp, self.procs,
                              self.progress, epoch)
        return {**losses, "lr": float(self.schedule.get_last_lr()[0])}

    def validate(self, epoch: int) -> dict[str, float]:
        """Validation loss and mask AP over the whole validation set."""
        return evaluate(self.model, self.val_loader, self.device, self.procs,
                        self.train_set.classes.num_classes)

    def monitored(self, row: Mapping[str, Any]) -> dict[str, float]:
        """The value early stopping follows, higher is better (the negated loss for
        ``val_loss``; NaN, AP without instances to score, never counts as better)."""
        value = float(row[self.monitor])
        return {self.monitor: -value if self.monitor == "val_loss" else value}

    def kept_metrics(self, row: Mapping[str, Any]) -> dict[str, float]:
        """The best epoch's validation loss and mask AP."""
        return {k: float(row[k]) for k in ("val_loss", "segm_ap", "segm_ap50")}


def _train_epoch(model: nn.Module, loader: DataLoader[Any], optimizer: torch.optim.Optimizer,
                 schedule: torch.optim.lr_scheduler.LRScheduler, scaler: torch.amp.GradScaler,
                 config: MaskRCNNConfig, device: torch.device, amp: bool,
                 procs: Processes, progress: bool, epoch: int) -> dict[str, float]:
    from tqdm import tqdm

    model.train()
    sums: dict[str, float] = {}
    seen = 0
    batches = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress,
                   leave=False, unit="batch")
    optimizer.zero_grad(set_to_none=True)
    for step, batch in enumerate(batches):
        images, targets = _to(batch, device)
        autocast = torch.autocast("cuda", dtype=torch.float16) if amp else nullcontext()
        with autocast:
            loss_terms = model(images, targets)
            loss = sum(loss_terms.values())
        scaler.scale(loss / config.grad_accum).backward()
        if (step + 1) % config.grad_accum == 0 or step + 1 == len(loader):
            if config.clip_grad:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            schedule.step()
        for key, value in loss_terms.items():
            sums[key] = sums.get(key, 0.0) + float(value.detach()) * len(images)
        sums["train_loss"] = sums.get("train_loss", 0.0) + float(loss.detach()) * len(images)
        seen += len(images)
        batches.set_postfix(loss=f"{float(loss.detach()):.3f}")
    keys = sorted(sums)
    totals = sum_all(procs, [sums[k] for k in keys] + [float(seen)])
    return {k: v / max(totals[-1], 1.0) for k, v in zip(keys, totals[:-1], strict=True)}


__all__ = ["MaskRCNNTraining", "TrainResult", "evaluate", "open_datasets", "train_maskrcnn"]
