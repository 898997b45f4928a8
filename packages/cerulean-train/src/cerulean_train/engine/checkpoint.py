"""Checkpoints: one layout for both families, written after every epoch.

A checkpoint holds everything the next epoch depends on: the model's weights, the
family's optimiser state (its step rule and, where the family keeps them, the learning
rate schedule and gradient scaler), the history so far and the early-stopping state.
Because an epoch is a function of its checkpoint and ``(seed, epoch)``, a run resumed
from the checkpoint of epoch k ends with the same weights as an unbroken one.

The file is a plain dict of tensors and builtins (``weights_only`` loadable) with the
keys of :class:`Checkpoint` and ``layout`` (:data:`LAYOUT`). A checkpoint of another
layout (from an older cerulean-train) is refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cerulean_infer import load_state_file
from cerulean_tiling.atomic import atomic_path
from cerulean_train.errors import CheckpointError

LAYOUT = 2
"""The checkpoint layout this version writes and reads (1: before the shared engine)."""


@dataclass
class Checkpoint:
    """The state after a finished epoch.

    Attributes:
        epoch: the (0-based) epoch it follows.
        model: the model's state dict, on CPU.
        optimizer: the family's optimiser state (plain data and tensors).
        history: one metrics row per finished epoch.
        early: the early-stopping state (:meth:`EarlyStopping.state`).
        stopped: early stopping ended the run after this epoch.
    """

    epoch: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    history: list[dict[str, Any]]
    early: dict[str, Any]
    stopped: bool

    def save(self, path: Path) -> None:
        """Write it atomically (a kill leaves the previous file or this one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"layout": LAYOUT, **{f.name: getattr(self, f.name) for f in fields(self)}}
        with atomic_path(path) as tmp:
            torch.save(state, tmp)

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read a checkpoint (``weights_only``: tensors and plain data only).

        Raises:
            ModelLoadError: unreadable, or pickles more than tensors and plain data.
            CheckpointError: not a checkpoint, or one of another layout.
        """
        state = load_state_file(path, "checkpoint")
        if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
            raise CheckpointError(f"{path}: not a training checkpoint")
        if state.get("layout") != LAYOUT:
            raise CheckpointError(f"{path}: a checkpoint of an older cerulean-train (layout "
                                  f"{state.get('layout', 1)}, this one reads {LAYOUT}); start "
                                  "the run again")
        missing = [f.name for f in fields(cls) if f.name not in state]
        if missing:
            raise CheckpointError(f"{path}: not a training checkpoint (no {missing[0]})")
        return cls(**{f.name: state[f.name] for f in fields(cls)})


def cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of ``model``'s state dict on CPU (of the module a DDP wrapper holds)."""
    inner = getattr(model, "module", model)
    return {k: v.detach().cpu().clone() for k, v in inner.state_dict().items()}


__all__ = ["LAYOUT", "Checkpoint", "cpu_state"]
