"""UNet losses: the production cross-entropy, and cross-entropy plus soft Dice.

Both skip pixels without data (target :data:`IGNORE_INDEX`): the cross-entropy is the
mean over the other pixels (0 for a batch with none, where torch's mean would be NaN).

Soft Dice of class k over a batch is ``2·Σ p_k·t_k / (Σ p_k + Σ t_k)`` with ``p`` the
softmax and ``t`` the one-hot truth, both over pixels with data; the loss adds
``1 − mean_k Dice_k`` over the oil classes (k ≥ 1) to the cross-entropy. Dice weighs a
class by its own area, not by its share of all pixels, so slicks covering 1 % of a
batch pull as hard as the sea.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional

from cerulean_train.data.semantic import IGNORE_INDEX

_SMOOTH = 1.0


def masked_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the pixels of ``target`` that are not ``IGNORE_INDEX``."""
    total = functional.cross_entropy(logits, target, ignore_index=IGNORE_INDEX,
                                     reduction="sum")
    return total / (target != IGNORE_INDEX).sum().clamp(min=1)


class _SegmentationLoss(nn.Module):
    """fastai's hooks for a loss over ``[B, C, H, W]`` logits."""

    def activation(self, x: torch.Tensor) -> torch.Tensor:
        """fastai's hook: predictions as probabilities."""
        return x.softmax(dim=1)

    def decodes(self, x: torch.Tensor) -> torch.Tensor:
        """fastai's hook: predictions as class indexes."""
        return x.argmax(dim=1)


class CrossEntropyLoss(_SegmentationLoss):
    """Cross-entropy over the pixels with data (the production recipe's loss)."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return masked_cross_entropy(logits, target)


class CrossEntropyDiceLoss(_SegmentationLoss):
    """Cross-entropy plus ``1 − mean soft Dice`` of the non-background classes."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = masked_cross_entropy(logits, target)
        valid = (target != IGNORE_INDEX).unsqueeze(1)
        probs = logits.softmax(dim=1)[:, 1:] * valid
        truth = functional.one_hot(target.clamp(min=0), logits.shape[1]).permute(0, 3, 1, 2)
        truth = truth[:, 1:].to(probs.dtype) * valid
        dims = (0, 2, 3)
        dice = (2 * (probs * truth).sum(dims) + _SMOOTH) / (
            probs.sum(dims) + truth.sum(dims) + _SMOOTH)
        return ce + (1 - dice.mean())


def unet_loss(name: str) -> Any:
    """The loss called ``name`` (see :class:`cerulean_train.unet.config.UNetConfig`)."""
    if name == "cross_entropy+dice":
        return CrossEntropyDiceLoss()
    return CrossEntropyLoss()


__all__ = ["CrossEntropyDiceLoss", "CrossEntropyLoss", "masked_cross_entropy", "unet_loss"]
