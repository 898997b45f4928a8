"""fastai's distributed training, usable on CPU (gloo) as well as CUDA (NCCL).

fastai's ``DistributedTrainer`` wraps the model in DistributedDataParallel (through
accelerate) and each loader in a ``DistributedDL`` that gives every rank its share of
the batches; ``Learner.distrib_ctx`` adds it for the length of a ``with`` block. Its
``DistributedDL`` broadcasts the batch order through a CUDA tensor, which gloo cannot
carry, so :class:`Distributed` adds the same trainer with a loader that broadcasts on
the process group's own device. On CUDA it is exactly fastai's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from fastai.distributed import DistributedDL, DistributedTrainer
from fastai.learner import Learner


class GroupDistributedDL(DistributedDL):  # type: ignore[misc]  # fastai ships no types
    """``DistributedDL`` whose index broadcast runs on CPU tensors under gloo."""

    def _broadcast(self, t: Any, rank: int) -> Any:
        if torch.distributed.get_backend() == "nccl":
            return super()._broadcast(t, rank)
        tensor = torch.as_tensor(t, dtype=torch.long)
        torch.distributed.broadcast(tensor, rank)
        return tensor.tolist()


class Distributed(DistributedTrainer):  # type: ignore[misc]  # fastai ships no types
    """fastai's ``DistributedTrainer`` with :class:`GroupDistributedDL` loaders."""

    def _wrap_dl(self, dl: Any) -> Any:
        if isinstance(dl, DistributedDL):
            return dl
        return GroupDistributedDL(dl, device=self.learn.model.device)


@contextmanager
def distributed(learn: Learner, cpu: bool) -> Iterator[Learner]:
    """Train ``learn`` data-parallel inside the block (the process group must exist).

    On CUDA BatchNorm layers become SyncBatchNorm, as fastai does; on CPU (gloo) they
    stay per process and :func:`broadcast_buffers` aligns their statistics each epoch.
    """
    trainer = Distributed(sync_bn=not cpu, cpu=cpu)
    learn.add_cb(trainer)
    try:
        yield learn
    finally:
        learn.remove_cb(trainer)


def broadcast_buffers(model: torch.nn.Module) -> None:
    """Copy rank 0's buffers to every rank. BatchNorm statistics drift apart between
    ranks (each updates them from its own share of the batch); parameters do not, as
    DistributedDataParallel averages the gradients."""
    for tensor in model.buffers():
        torch.distributed.broadcast(tensor.data, 0)


__all__ = ["Distributed", "GroupDistributedDL", "broadcast_buffers", "distributed"]
