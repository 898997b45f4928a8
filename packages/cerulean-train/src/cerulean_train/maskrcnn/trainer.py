"""The Mask R-CNN training loop: plain torch, resumable, data-parallel under torchrun.

One epoch: every training tile once, in an order drawn from ``(seed, epoch)``, each
tile augmented from ``(seed, epoch, index)``, and torch's generator (which the
detector's proposal sampling draws from) reseeded from ``(seed, epoch)``. Losses are
summed over the detector's five terms, scaled for gradient accumulation, clipped and
stepped with a one-cycle schedule (per optimiser step); on CUDA they run under float16
autocast with a gradient scaler. After each epoch the model is validated (the loss with
batch norm frozen, and COCO mask AP of its detections), ``checkpoint.pt`` replaces the
previous epoch's, and the best weights (by ``metric``) go to ``best.pt``; training
stops early after ``patience`` epochs without improvement.

Because an epoch depends only on the checkpoint it starts from and ``(seed, epoch)``,
a run resumed from its checkpoint ends with the same weights as an unbroken one (on
CPU; CUDA kernels are not bit-reproducible). Under torchrun, each process trains on its
share of the tiles (``DistributedSampler``), DDP averages the gradients, validation
sums and gathers over processes, and only rank 0 writes the run folder.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
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
from cerulean_train.data.seeding import epoch_seed, seed_everything, worker_init
from cerulean_train.data.semantic import require_slicks
from cerulean_train.devices import Processes, init_process_group, processes, resolve_device
from cerulean_train.errors import BackboneError, CheckpointError, ConfigError
from cerulean_train.maskrcnn import distributed
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.metrics import segm_ap
from cerulean_train.maskrcnn.model import load_backbone_weights, make_model
from cerulean_train.run import EarlyStopping, RunFolder
from cerulean_train.statedict import load_fitting

logger = logging.getLogger(__name__)

EpochCallback = Callable[[dict[str, float]], None]


@dataclass
class TrainResult:
    """How a run ended.

    Attributes:
        run_dir: the run folder.
        epochs: epochs finished.
        best_epoch: the (0-based) epoch whose weights are the run's ``weights.pt``.
        best: that epoch's metrics.
        stopped_early: whether early stopping ended the run.
        history: one metrics row per epoch.
        digests: SHA-256 of the final weights on each process (rank order).
    """

    run_dir: Path
    epochs: int
    best_epoch: int
    best: dict[str, float]
    stopped_early: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


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
    total, seen = distributed.sum_all(procs, [total, float(count)])
    targets_all = distributed.gather_all(procs, targets_all)
    found_all = distributed.gather_all(procs, found_all)
    return {"val_loss": total / max(seen, 1.0),
            **segm_ap(targets_all, found_all, num_classes)}


def _monitored(config: MaskRCNNConfig, metrics: dict[str, float]) -> dict[str, float]:
    """The value early stopping follows, higher is better (the negated loss for
    ``val_loss``; NaN, AP without instances to score, never counts as better)."""
    value = metrics[config.monitor]
    return {config.monitor: -value if config.monitor == "val_loss" else value}


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
    procs = processes()
    device = resolve_device(config.device, procs)
    train_set, val_set = open_datasets(config)
    spec = config.model_spec(train_set.classes.num_classes)
    folder = RunFolder.prepare(output, config, resume)
    seed_everything(config.seed)
    model = make_model(spec)
    _load_start_weights(model, config)
    created = init_process_group(device, procs)
    try:
        with folder.new_run_guard(procs.main and not resume):
            loop = _Loop(config, folder, model.to(device), train_set, val_set, procs, device)
            return loop.fit(resume=resume, progress=progress, on_epoch=on_epoch)
    finally:
        if created:
            torch.distributed.destroy_process_group()


class _Loop:
    """One run's training state and its epoch loop."""

    def __init__(self, config: MaskRCNNConfig, folder: RunFolder, model: nn.Module,
                 train_set: InstanceDataset, val_set: InstanceDataset, procs: Processes,
                 device: torch.device) -> None:
        self.config, self.folder, self.model = config, folder, model
        self.train_set, self.val_set = train_set, val_set
        self.procs, self.device = procs, device
        self.train_loader, self.sampler = _loader(train_set, config, procs, config.batch_size,
                                                  True)
        self.val_loader, _ = _loader(val_set, config, procs, config.val_batch_size, False)
        self.optimizer = _optimizer(config, model)
        steps = math.ceil(len(self.train_loader) / config.grad_accum)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.lr, total_steps=config.epochs * steps)
        self.amp = device.type == "cuda" and config.mixed_precision
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.early = EarlyStopping(config.monitor, config.patience)
        self.history: list[dict[str, Any]] = []
        self.stopped = False

    def fit(self, *, resume: bool, progress: bool, on_epoch: EpochCallback | None,
            ) -> TrainResult:
        began = time.monotonic()
        last = self.folder.last_checkpoint() if resume else None
        if last is not None:
            self._restore(last)
        elif self.procs.main:
            self.folder.start(self.config)
        distributed.barrier(self.procs)
        trained: nn.Module = self.model
        if self.procs.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            trained = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        writer = _tensorboard(self.folder) if self.procs.main else None
        try:
            while len(self.history) < self.config.epochs and not self.stopped:
                row = self._epoch(trained, len(self.history), progress and self.procs.main)
                if writer is not None:
                    for key, value in row.items():
                        if key != "epoch":
                            writer.add_scalar(key, value, row["epoch"] + 1)
                    writer.flush()
                if on_epoch is not None and self.procs.main:
                    on_epoch(row)
        finally:
            if writer is not None:
                writer.close()
        return self._finish(time.monotonic() - began)

    def _epoch(self, trained: nn.Module, epoch: int, progress: bool) -> dict[str, Any]:
        config = self.config
        start = time.monotonic()
        self.train_set.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        # The detector samples proposals from torch's generator: one seed per epoch
        # makes an epoch a function of its starting checkpoint.
        torch.manual_seed(epoch_seed(config.seed, epoch))
        losses = _train_epoch(trained, self.train_loader, self.optimizer, self.schedule,
                              self.scaler, config, self.device, self.amp, self.procs,
                              progress, epoch)
        distributed.broadcast_buffers(self.procs, self.model)
        metrics = evaluate(self.model, self.val_loader, self.device, self.procs,
                           self.train_set.classes.num_classes)
        row: dict[str, Any] = {"epoch": epoch, **losses, **metrics,
                               "lr": float(self.schedule.get_last_lr()[0]),
                               "seconds": time.monotonic() - start}
        self.history.append(row)
        self.stopped = self.early.update(epoch, _monitored(config, metrics))
        if self.stopped:
            logger.info("no better %s for %d epochs: stopping", config.monitor, config.patience)
        if self.procs.main:
            self.folder.save_checkpoint(epoch, {
                "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
                "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "scaler": self.scaler.state_dict(),
                "epoch": epoch, "history": self.history, "early": self.early.state(),
                "stopped": self.stopped})
            self.folder.write_history(self.history)
        distributed.barrier(self.procs)
        return row

    def _restore(self, path: Path) -> None:
        saved = RunFolder.load_checkpoint(path)
        load_fitting(self.model, saved["model"], path, "this run's model", CheckpointError)
        try:
            self.optimizer.load_state_dict(saved["optimizer"])
            self.schedule.load_state_dict(saved["schedule"])
            self.scaler.load_state_dict(saved["scaler"])
            self.history = list(saved["history"])
            self.early = EarlyStopping(**saved["early"])
            self.stopped = bool(saved["stopped"])
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{path}: does not fit this run ({first})") from None
        logger.info("resuming %s after epoch %d", self.folder.path, len(self.history))

    def _finish(self, seconds: float) -> TrainResult:
        best = self.early.best_epoch if self.early.best_epoch >= 0 else len(self.history) - 1
        row = self.history[best]
        metrics = {k: float(row[k]) for k in ("val_loss", "segm_ap", "segm_ap50")}
        digests = distributed.gather_all(self.procs, [distributed.weights_digest(self.model)])
        if self.procs.main:
            state = self.folder.load_checkpoint(self.folder.checkpoint_path(best))
            self.folder.save_weights(state["model"])
            classes = self.train_set.classes
            self.folder.write_summary({
                "status": "complete", "arch": "maskrcnn", "epochs": len(self.history),
                "best_epoch": best, "monitor": self.config.monitor,
                "stopped_early": self.stopped, "classes": list(classes.names),
                "category_ids": list(classes.category_ids),
                "channels": list(self.config.channels), "metrics": metrics,
                "grid": _grid(self.train_set.coco), "train_tiles": len(self.train_set),
                "val_tiles": len(self.val_set), "weights_digests": digests,
                "seconds_last_invocation": seconds})
        return TrainResult(self.folder.path, len(self.history), best, metrics, self.stopped,
                           self.history, digests)


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
    totals = distributed.sum_all(procs, [sums[k] for k in keys] + [float(seen)])
    return {k: v / max(totals[-1], 1.0) for k, v in zip(keys, totals[:-1], strict=True)}


def _grid(coco: CocoDataset) -> dict[str, Any]:
    """The tile grid of the training tiles (what the bundle must be served on)."""
    image = coco.images[0]
    zoom = image.tile_index[0] if image.grid == "tms" else 9
    return {"grid": image.grid, "zoom": int(zoom), "tile_size": image.width}


def _tensorboard(folder: RunFolder) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(folder.tensorboard))


__all__ = ["TrainResult", "evaluate", "open_datasets", "train_maskrcnn"]
