"""Deterministic randomness: every random choice is a function of (seed, epoch, index).

A sample's crop and augmentation draw from a generator seeded by the run seed, the
epoch and the sample's index, never from process-global state, so the same run gives
the same batches whatever the number of loader workers, and a resumed run replays an
epoch exactly. :func:`worker_init` seeds what third-party code in a worker might draw.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The NumPy generator of one sample in one epoch."""
    return np.random.default_rng([seed, epoch, index])


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 63-bit integer seed for torch, derived like :func:`sample_rng`."""
    return int(sample_rng(seed, epoch, index).integers(0, 2**63 - 1))


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's process-wide draws (batch order, weight noise): a stream
    apart from every sample's."""
    return sample_seed(seed, epoch, _EPOCH_STREAM)


_EPOCH_STREAM = 2**32 - 1


@contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Run the block with torch's CPU generator seeded by ``seed``, restoring it after
    (torchvision's random transforms draw from that generator)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def worker_init(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: seed a worker's global generators from the seed
    torch gave it (itself derived from the main process's generator)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed + worker_id)
    np.random.seed((seed + worker_id) % 2**32)


__all__ = ["epoch_seed", "sample_rng", "sample_seed", "seed_everything", "torch_seeded",
           "worker_init"]
