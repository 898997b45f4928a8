"""The torchrun helpers in one process: identities, and a digest of the weights."""

from __future__ import annotations

import torch

from cerulean_train.devices import Processes
from cerulean_train.engine.distributed import (
    barrier,
    broadcast_buffers,
    gather_all,
    sum_all,
    weights_digest,
)


def test_one_process_is_the_identity() -> None:
    one = Processes()
    barrier(one)
    assert sum_all(one, [1.0, 2.5]) == [1.0, 2.5]
    assert gather_all(one, [{"a": 1}]) == [{"a": 1}]
    model = torch.nn.BatchNorm1d(2)
    model.running_mean += 3
    broadcast_buffers(one, model)
    assert torch.equal(model.running_mean, torch.full((2,), 3.0))


def test_the_digest_follows_every_tensor() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    before = weights_digest(model)
    assert weights_digest(model) == before and len(before) == 64
    model[1].running_var[0] += 1e-6
    assert weights_digest(model) != before
