"""Agreeing across torchrun processes: barriers, buffer broadcasts, sums, gathers and a
digest of the weights.

The process group itself is :mod:`cerulean_train.devices`'; these are what the epoch
loop and the families need on top of it. In a one-process run each is the identity.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from cerulean_train.devices import Processes


def barrier(procs: Processes) -> None:
    """Wait for every process."""
    if procs.distributed:
        dist.barrier()


def sum_all(procs: Processes, values: list[float]) -> list[float]:
    """Element-wise sum of ``values`` over all processes."""
    if not procs.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return [float(v) for v in tensor]


def gather_all(procs: Processes, items: list[Any]) -> list[Any]:
    """Every process's ``items``, concatenated in rank order, on every process."""
    if not procs.distributed:
        return items
    parts: list[Any] = [None] * procs.world_size
    dist.all_gather_object(parts, items)
    return [item for part in parts for item in part]


def broadcast_buffers(procs: Processes, model: nn.Module) -> None:
    """Copy rank 0's buffers (batch-norm statistics) to every process.

    DistributedDataParallel keeps the parameters equal (it averages the gradients), but
    each process updates its batch-norm running statistics from its own share of the
    batches; after this every process holds exactly the weights rank 0 saves.
    """
    if procs.distributed:
        for buffer in model.buffers():
            dist.broadcast(buffer.data, 0)


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of a model's state dict (names, shapes and bytes, in order)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


__all__ = ["barrier", "broadcast_buffers", "gather_all", "sum_all", "weights_digest"]
