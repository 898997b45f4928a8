"""Data-parallel training under ``torchrun``: process group, ranks, and agreeing on data.

``torchrun --nproc_per_node N -m cerulean_train maskrcnn ...`` starts N processes with
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` set; :func:`start` joins them into one process
group (NCCL on CUDA, gloo on CPU) and the trainer wraps its model in
``DistributedDataParallel``. A plain ``python -m cerulean_train`` is a world of one and
touches no process group.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        """Whether several processes train together."""
        return self.size > 1

    @property
    def main(self) -> bool:
        """Whether this process writes the run folder (rank 0)."""
        return self.rank == 0


def start(device: torch.device) -> World:
    """Join the process group ``torchrun`` set up (a world of one without it)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    world = World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return world


def stop(world: World) -> None:
    """Leave the process group."""
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    """Wait for every process (no-op in a world of one)."""
    if world.distributed:
        dist.barrier()


def sum_all(world: World, values: list[float]) -> list[float]:
    """Element-wise sum of ``values`` over all processes."""
    if not world.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return [float(v) for v in tensor]


def gather_all(world: World, items: list[Any]) -> list[Any]:
    """Every process's ``items``, concatenated in rank order, on every process."""
    if not world.distributed:
        return items
    parts: list[Any] = [None] * world.size
    dist.all_gather_object(parts, items)
    return [item for part in parts for item in part]


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of a model's state dict (names, shapes and bytes, in order)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


__all__ = ["World", "barrier", "gather_all", "start", "stop", "sum_all", "weights_digest"]
