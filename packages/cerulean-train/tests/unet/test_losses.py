"""UNet losses over pixels with data: equal to torch's on them, blind to the others."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional

from cerulean_train.data.semantic import IGNORE_INDEX
from cerulean_train.unet.losses import CrossEntropyDiceLoss, CrossEntropyLoss


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 16, 16, generator=gen)
    target = torch.randint(0, 4, (2, 16, 16), generator=gen)
    target[0, :, :6] = IGNORE_INDEX
    return logits, target


def test_cross_entropy_is_the_mean_over_pixels_with_data() -> None:
    logits, target = _batch()
    keep = target != IGNORE_INDEX
    reference = functional.cross_entropy(logits.permute(0, 2, 3, 1)[keep], target[keep])
    assert math.isclose(float(CrossEntropyLoss()(logits, target)), float(reference),
                        rel_tol=1e-6)


@pytest.mark.parametrize("loss", [CrossEntropyLoss(), CrossEntropyDiceLoss()])
def test_pixels_without_data_change_nothing(loss: torch.nn.Module) -> None:
    logits, target = _batch()
    other = logits.clone()
    other[0, :, :, :6] = torch.randn(4, 16, 6) * 10
    assert torch.equal(loss(logits, target), loss(other, target))
    nothing = torch.full_like(target, IGNORE_INDEX)
    empty = logits.clone().requires_grad_(True)
    value = loss(empty, nothing)
    value.backward()
    assert math.isfinite(float(value.detach())) and empty.grad is not None
    assert float(empty.grad.abs().sum()) == 0.0


def test_dice_term_rewards_overlap() -> None:
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, 2:6, 2:6] = 1
    right = torch.full((1, 2, 8, 8), -5.0)
    right[0, 0] = 5.0
    right[0, 0, 2:6, 2:6], right[0, 1, 2:6, 2:6] = -5.0, 5.0
    wrong = right.flip(-1).roll(3, -1)
    loss = CrossEntropyDiceLoss()
    assert float(loss(right, target)) < 0.05 < float(loss(wrong, target))
