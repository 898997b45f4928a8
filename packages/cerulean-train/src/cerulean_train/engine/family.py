"""What a model family supplies to the epoch loop: the :class:`Family` protocol.

The engine (:mod:`cerulean_train.engine.loop`) owns everything both families share:
resuming, seeding each epoch, aligning processes, early stopping, checkpoints,
history, TensorBoard, the run summary and the result. A family owns only what its
model really changes: how one epoch is trained (its optimiser, schedule and loader),
how it is validated, which number early stopping follows and which numbers the run
reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from torch import nn

from cerulean_tiling import ClassMap
from cerulean_train.engine.summary import TileGrid


@dataclass(frozen=True)
class RunData:
    """What the run summary says about a run's data.

    Attributes:
        classes: the model's classes (background first) and their dataset categories.
        channels: the input channels, in order.
        grid: the grid the training tiles lie on.
        train_tiles: training tiles.
        val_tiles: validation tiles.
    """

    classes: ClassMap
    channels: tuple[str, ...]
    grid: TileGrid
    train_tiles: int
    val_tiles: int


class Family(Protocol):
    """One model family's part of a run (UNet on fastai, Mask R-CNN on plain torch).

    Attributes:
        arch: the family's name in configs and summaries (``unet``, ``maskrcnn``).
        model: the bare model (never a data-parallel wrapper); checkpoints hold its state.
        epochs: epochs the whole run trains unless it stops early.
        monitor: the metric early stopping follows and the best epoch is chosen by.
        patience: epochs without improvement before stopping (0: never).
        seed: the run seed; epoch ``e`` starts from ``epoch_seed(seed, e)``.
        data: what the summary records about the datasets.
    """

    arch: str
    model: nn.Module
    epochs: int
    monitor: str
    patience: int
    seed: int
    data: RunData

    def begin(self) -> None:
        """Build what training needs (optimiser, schedule, loaders); called once the
        process group exists and before a checkpoint is restored."""

    def load_optimizer(self, state: dict[str, Any]) -> None:
        """Restore :meth:`optimizer_state` from a checkpoint.

        Raises:
            KeyError, RuntimeError, ValueError, TypeError: the state does not fit.
        """

    def optimizer_state(self) -> dict[str, Any]:
        """The optimiser's state (with any schedule or scaler) as tensors and plain data."""

    def data_parallel(self) -> AbstractContextManager[None]:
        """The context the epochs run in (data-parallel wrapping under torchrun)."""

    def train_epoch(self, epoch: int) -> dict[str, Any]:
        """Train one epoch (global generators already seeded); the row's training part."""

    def validate(self, epoch: int) -> dict[str, float]:
        """The epoch's validation numbers, the same on every process."""

    def monitored(self, row: Mapping[str, Any]) -> dict[str, float]:
        """``{monitor: value}`` of an epoch's row, higher is better."""

    def kept_metrics(self, row: Mapping[str, Any]) -> dict[str, float]:
        """The numbers of the best epoch's row that the run reports."""


__all__ = ["Family", "RunData"]
