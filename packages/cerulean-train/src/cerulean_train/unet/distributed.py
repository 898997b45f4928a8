"""fastai's distributed training, usable on CPU (gloo) as well as CUDA (NCCL).

fastai's ``DistributedTrainer`` wraps the model in DistributedDataParallel (through
accelerate) and each loader in a ``DistributedDL`` that gives every rank its share of
the batches. Its ``DistributedDL`` broadcasts the batch order through a CUDA tensor,
which gloo cannot carry, so :func:`distributed` hands the trainer loaders that are
already :class:`GroupDistributedDL` (the trainer leaves a ``DistributedDL`` as it is),
whose broadcast runs on the process group's own device. On CUDA it is exactly fastai's.

``DistributedDL`` offers no public hook for that broadcast, so
:meth:`GroupDistributedDL._broadcast` overrides fastai's private method of that name;
the fastai releases it is tested with are the range ``pyproject.toml`` declares
(``tests/unet/test_fastai_range.py`` fails outside it).
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


@contextmanager
def distributed(learn: Learner, device: torch.device) -> Iterator[Learner]:
    """Train ``learn`` data-parallel inside the block (the process group must exist).

    On CUDA BatchNorm layers become SyncBatchNorm, as fastai does; on CPU (gloo) they
    stay per process and the engine's ``broadcast_buffers`` aligns their statistics
    after each epoch.
    """
    cpu = device.type == "cpu"
    trainer = DistributedTrainer(sync_bn=not cpu, cpu=cpu)
    loaders = list(learn.dls.loaders)
    learn.dls.loaders = [GroupDistributedDL(dl, device=device) for dl in loaders]
    learn.add_cb(trainer)
    try:
        yield learn
    finally:
        learn.remove_cb(trainer)
        learn.dls.loaders = loaders


__all__ = ["GroupDistributedDL", "distributed"]
