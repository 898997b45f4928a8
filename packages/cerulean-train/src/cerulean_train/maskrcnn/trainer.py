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
from cerulean_train.augment import Augmenter
from cerulean_train.config import read_run_config
from cerulean_train.data.classes import ClassMap
from cerulean_train.data.instances import Batch, InstanceDataset, collate_detection
from cerulean_train.data.seeding import sample_seed, seed_everything, worker_init
from cerulean_train.errors import CheckpointError, ConfigError, OutputError
from cerulean_train.maskrcnn import distributed, run
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.metrics import segm_ap
from cerulean_train.maskrcnn.model import load_backbone_weights, make_model

logger = logging.getLogger(__name__)

RESUMABLE_CHANGES = frozenset({"device", "num_workers"})
"""Config keys a resumed run may change (they do not change what is computed)."""

EpochCallback = Callable[[dict[str, float]], None]


@dataclass
class TrainResult:
    """How a run ended.

    Attributes:
        run_dir: the run folder.
        epochs: epochs finished.
        best_epoch: the epoch whose weights are in ``best.pt``.
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
    history: list[dict[str, float]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


@dataclass
class _State:
    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = math.inf
    bad_epochs: int = 0
    stopped_early: bool = False


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU.

    Raises:
        ConfigError: ``cuda`` asked for on a machine without it.
    """
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda': no CUDA device is available")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


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
    val = InstanceDataset(val_coco, config.channels, classes, size=config.size,
                          seed=config.seed, min_area=config.min_area)
    return train, val


def _check_run_dir(config: MaskRCNNConfig, run_dir: Path, resume: bool) -> None:
    if resume:
        saved = read_run_config(run_dir) if run_dir.is_dir() else None
        if not isinstance(saved, MaskRCNNConfig) or not (run_dir / run.MODEL_JSON).exists():
            raise CheckpointError(f"{run_dir}: nothing to resume (not a Mask R-CNN run)")
        changed = [k for k in saved.differences(config) if k not in RESUMABLE_CHANGES]
        if changed:
            raise ConfigError(f"{run_dir}: --resume with other settings than the run "
                              f"was started with ({', '.join(changed)})")
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise OutputError(f"{run_dir}: exists and is not empty (use --resume to continue "
                          "that run, or another -o)")


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
    state = run.load(path, "weights")
    if isinstance(state, dict) and set(state) == set(model.state_dict()):
        model.load_state_dict(state)
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


def _loader(dataset: InstanceDataset, config: MaskRCNNConfig, world: distributed.World,
            batch_size: int, shuffle: bool) -> tuple[DataLoader[Any], DistributedSampler[Any]]:
    sampler: DistributedSampler[Any] = DistributedSampler(
        dataset, num_replicas=world.size, rank=world.rank, shuffle=shuffle, seed=config.seed)
    loader: DataLoader[Any] = DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=config.num_workers,
        collate_fn=collate_detection, worker_init_fn=worker_init,
        persistent_workers=False, pin_memory=False)
    return loader, sampler


def evaluate(model: nn.Module, loader: DataLoader[Any], device: torch.device,
             world: distributed.World, num_classes: int) -> dict[str, float]:
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
    total, seen = distributed.sum_all(world, [total, float(count)])
    targets_all = distributed.gather_all(world, targets_all)
    found_all = distributed.gather_all(world, found_all)
    return {"val_loss": total / max(seen, 1.0),
            **segm_ap(targets_all, found_all, num_classes)}


def _score(config: MaskRCNNConfig, metrics: dict[str, float]) -> float:
    """Lower is better; NaN (no instances to score AP on) never wins."""
    value = metrics[config.metric]
    if math.isnan(value):
        return math.inf
    return value if config.metric == "val_loss" else -value


def train_maskrcnn(config: MaskRCNNConfig, run_dir: Path, *, resume: bool = False,
                   progress: bool = True, on_epoch: EpochCallback | None = None,
                   ) -> TrainResult:
    """Train a Mask R-CNN as ``config`` says, into the run folder ``run_dir``.

    Args:
        config: the run's settings.
        run_dir: the run folder (created; must be new or empty unless ``resume``).
        resume: continue the run in ``run_dir`` from its last finished epoch.
        progress: show a progress bar over each epoch's batches (rank 0 only).
        on_epoch: called with each epoch's metrics row (rank 0 only).

    Raises:
        ConfigError, DatasetError, ChannelError, BackboneError: bad inputs, found
            before anything is written.
        OutputError: ``run_dir`` holds something else.
        CheckpointError: nothing to resume, or an unreadable checkpoint.
    """
    device = resolve_device(config.device)
    train_set, val_set = open_datasets(config)
    classes = train_set.classes
    spec = config.model_spec(classes.num_classes)
    _check_run_dir(config, run_dir, resume)
    seed_everything(config.seed)
    model = make_model(spec)
    _load_start_weights(model, config)
    world = distributed.start(device)
    try:
        if device.type == "cuda":
            device = torch.device("cuda", world.local_rank)
        return _train(config, run_dir, model.to(device), train_set, val_set, world, device,
                      resume=resume, progress=progress, on_epoch=on_epoch,
                      record=run.ModelRecord(spec, classes, config.channels))
    finally:
        distributed.stop(world)


def _train(config: MaskRCNNConfig, run_dir: Path, model: nn.Module,
           train_set: InstanceDataset, val_set: InstanceDataset, world: distributed.World,
           device: torch.device, *, resume: bool, progress: bool,
           on_epoch: EpochCallback | None, record: run.ModelRecord) -> TrainResult:
    train_loader, train_sampler = _loader(train_set, config, world, config.batch_size, True)
    val_loader, _ = _loader(val_set, config, world, config.val_batch_size, False)
    optimizer = _optimizer(config, model)
    steps = math.ceil(len(train_loader) / config.grad_accum)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                   total_steps=config.epochs * steps)
    amp = device.type == "cuda" and config.mixed_precision
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    state = _State()
    if resume and (run_dir / run.CHECKPOINT).exists():
        state = _restore(run_dir, model, optimizer, schedule, scaler)
    elif world.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        config.write(run_dir)
        record.write(run_dir)
    distributed.barrier(world)
    core = model
    if world.distributed:
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    writer = _tensorboard(run_dir) if world.main else None
    try:
        while state.epoch < config.epochs and not state.stopped_early:
            epoch = state.epoch
            start = time.monotonic()
            train_set.set_epoch(epoch)
            train_sampler.set_epoch(epoch)
            torch.manual_seed(sample_seed(config.seed, epoch, 2**32))
            losses = _train_epoch(model, train_loader, optimizer, schedule, scaler, config,
                                  device, amp, world, progress and world.main, epoch)
            metrics = evaluate(core, val_loader, device, world, record.classes.num_classes)
            row = {"epoch": epoch + 1, **losses, **metrics,
                   "lr": float(schedule.get_last_lr()[0]),
                   "seconds": round(time.monotonic() - start, 3)}
            _advance(state, config, row)
            if world.main:
                _checkpoint(run_dir, core, optimizer, schedule, scaler, state)
                run.write_metrics_csv(run_dir, state.history)
                if writer is not None:
                    for key, value in row.items():
                        if key != "epoch":
                            writer.add_scalar(key, value, epoch + 1)
                    writer.flush()
                if on_epoch is not None:
                    on_epoch(row)
            distributed.barrier(world)
    finally:
        if writer is not None:
            writer.close()
    digests = distributed.gather_all(world, [distributed.weights_digest(core)])
    result = TrainResult(run_dir, state.epoch, state.best_epoch,
                         state.history[state.best_epoch - 1] if state.history else {},
                         state.stopped_early, state.history, digests)
    if world.main:
        run.write_summary(run_dir, result)
    return result


def _train_epoch(model: nn.Module, loader: DataLoader[Any], optimizer: torch.optim.Optimizer,
                 schedule: torch.optim.lr_scheduler.LRScheduler, scaler: torch.amp.GradScaler,
                 config: MaskRCNNConfig, device: torch.device, amp: bool,
                 world: distributed.World, progress: bool, epoch: int) -> dict[str, float]:
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
            sums[key] = sums.get(key, 0.0) + float(value) * len(images)
        sums["train_loss"] = sums.get("train_loss", 0.0) + float(loss) * len(images)
        seen += len(images)
        batches.set_postfix(loss=f"{float(loss):.3f}")
    keys = sorted(sums)
    totals = distributed.sum_all(world, [sums[k] for k in keys] + [float(seen)])
    return {k: v / max(totals[-1], 1.0) for k, v in zip(keys, totals[:-1], strict=True)}


def _advance(state: _State, config: MaskRCNNConfig, row: dict[str, float]) -> None:
    state.epoch += 1
    state.history.append(row)
    score = _score(config, row)
    if score < state.best_score or state.best_epoch == 0:
        state.best_score, state.best_epoch, state.bad_epochs = score, state.epoch, 0
    else:
        state.bad_epochs += 1
        if config.patience and state.bad_epochs >= config.patience:
            state.stopped_early = True
            logger.info("no better %s for %d epochs: stopping", config.metric, config.patience)


def _checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                schedule: torch.optim.lr_scheduler.LRScheduler, scaler: torch.amp.GradScaler,
                state: _State) -> None:
    weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if state.best_epoch == state.epoch:
        run.save(weights, run_dir / run.BEST, "best weights")
    run.save({"model": weights, "optimizer": optimizer.state_dict(),
              "schedule": schedule.state_dict(), "scaler": scaler.state_dict(),
              "epoch": state.epoch, "history": state.history, "best_epoch": state.best_epoch,
              "best_score": state.best_score, "bad_epochs": state.bad_epochs,
              "stopped_early": state.stopped_early}, run_dir / run.CHECKPOINT, "checkpoint")


def _restore(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
             schedule: torch.optim.lr_scheduler.LRScheduler,
             scaler: torch.amp.GradScaler) -> _State:
    saved = run.load(run_dir / run.CHECKPOINT, "checkpoint")
    try:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        scaler.load_state_dict(saved["scaler"])
        state = _State(int(saved["epoch"]), list(saved["history"]), int(saved["best_epoch"]),
                       float(saved["best_score"]), int(saved["bad_epochs"]),
                       bool(saved["stopped_early"]))
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{run_dir / run.CHECKPOINT}: does not fit this run "
                              f"({first})") from None
    logger.info("resuming %s after epoch %d", run_dir, state.epoch)
    return state


def _tensorboard(run_dir: Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(run_dir / run.TENSORBOARD))


__all__ = ["RESUMABLE_CHANGES", "TrainResult", "evaluate", "open_datasets", "resolve_device",
           "train_maskrcnn"]
