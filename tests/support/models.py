"""The UNet test double: a model whose output is a known function of its input.

One 1×1 convolution with fixed weights gives the "oil" (``infra_slick``) logit
``bias + weight·x`` (x = VV scaled 0–1); background's logit is 0 and the other two
oil classes stay 20 below infra_slick, so pixels darker than ``x = −bias / weight``
are oil and brighter ones background. Run over a scene whose slicks are dark and whose
sea is bright, it must find exactly the slicks: the tests' and the CI scene check's
known answer. Only torch is imported, so the serving runtime (torch 2.0.1) can trace it.
"""

from __future__ import annotations

import torch

CLASSES4 = ("background", "infra_slick", "natural_seep", "vessel")
"""The classes (in output order) of :class:`DarkIsOil`."""


class DarkIsOil(torch.nn.Module):
    """Logits ``[0, bias + weight·x₀, … − 20, … − 20]`` over input channel 0.

    Args:
        weight: the oil logit's slope in the first channel (negative: dark is oil).
        bias: the oil logit at x = 0.
        channels: input channels the model takes (all but the first are ignored).
    """

    def __init__(self, weight: float = -40.0, bias: float = 14.0, channels: int = 1) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(channels, 1, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[0, 0] = weight
            self.conv.bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Four class logits per pixel."""
        oil = self.conv(x)
        return torch.cat([torch.zeros_like(oil), oil, oil - 20.0, oil - 20.0], dim=1)


def trace(model: torch.nn.Module, size: int, channels: int = 1) -> torch.jit.ScriptModule:
    """``model`` in eval mode traced to TorchScript on a ``size``² input, as exported."""
    with torch.no_grad():
        return torch.jit.trace(model.eval(), torch.rand(1, channels, size, size))


__all__ = ["CLASSES4", "DarkIsOil", "trace"]
