"""UNet losses: the production cross-entropy, and cross-entropy plus soft Dice.

Soft Dice of class k over a batch is ``2·Σ p_k·t_k / (Σ p_k + Σ t_k)`` with ``p`` the
softmax and ``t`` the one-hot truth; the loss adds ``1 − mean_k Dice_k`` over the oil
classes (k ≥ 1) to the cross-entropy. Dice weighs a class by its own area, not by
its share of all pixels, so slicks covering 1 % of a batch pull as hard as the sea.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional

_SMOOTH = 1.0


class CrossEntropyDiceLoss(nn.Module):
    """Cross-entropy plus ``1 − mean soft Dice`` of the non-background classes."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = functional.cross_entropy(logits, target)
        probs = logits.softmax(dim=1)[:, 1:]
        truth = functional.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2)[:, 1:]
        truth = truth.to(probs.dtype)
        dims = (0, 2, 3)
        dice = (2 * (probs * truth).sum(dims) + _SMOOTH) / (
            probs.sum(dims) + truth.sum(dims) + _SMOOTH)
        return ce + (1 - dice.mean())

    def activation(self, x: torch.Tensor) -> torch.Tensor:
        """fastai's hook: predictions as probabilities."""
        return x.softmax(dim=1)

    def decodes(self, x: torch.Tensor) -> torch.Tensor:
        """fastai's hook: predictions as class indexes."""
        return x.argmax(dim=1)


def unet_loss(name: str) -> Any:
    """The loss called ``name`` (see :class:`cerulean_train.config.UNetConfig`)."""
    if name == "cross_entropy+dice":
        return CrossEntropyDiceLoss()
    from fastai.losses import CrossEntropyLossFlat

    return CrossEntropyLossFlat(axis=1)


__all__ = ["CrossEntropyDiceLoss", "unet_loss"]
