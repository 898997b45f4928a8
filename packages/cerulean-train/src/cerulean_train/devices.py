"""Devices and processes: which device a run uses, and whether it runs under torchrun.

``torchrun --nproc_per_node N -m cerulean_train ...`` starts N processes with
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` in their environment; each joins one process
group (NCCL on CUDA, gloo on CPU) and trains on its share of every batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from cerulean_train.errors import ConfigError


@dataclass(frozen=True)
class Processes:
    """This process's place in a (possibly one-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        """True under torchrun with more than one process."""
        return self.world_size > 1

    @property
    def main(self) -> bool:
        """True on the process that writes the run's files."""
        return self.rank == 0


def processes() -> Processes:
    """Read torchrun's environment (one process when it is absent)."""
    env = os.environ
    return Processes(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)),
                     int(env.get("LOCAL_RANK", 0)))


def resolve_device(name: str, procs: Processes | None = None) -> torch.device:
    """The device of ``auto``/``cpu``/``cuda`` (``auto``: CUDA when available); under
    torchrun on CUDA, each process takes the GPU of its local rank.

    Raises:
        ConfigError: ``cuda`` asked for where no GPU is visible, or an unknown name.
    """
    procs = procs or processes()
    if name not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"--device: {name!r} is not one of auto, cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device: cuda was asked for but no CUDA device is visible")
    if name == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", procs.local_rank % torch.cuda.device_count())


def init_process_group(device: torch.device, procs: Processes) -> bool:
    """Join torchrun's process group (gloo on CPU, NCCL on CUDA); True when this call
    created it (the caller then destroys it)."""
    if not procs.distributed or torch.distributed.is_initialized():
        return False
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend=backend, init_method="env://")
    return True


__all__ = ["Processes", "init_process_group", "processes", "resolve_device"]
