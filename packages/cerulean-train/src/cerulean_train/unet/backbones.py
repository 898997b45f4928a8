"""UNet backbones: fastai ``DynamicUnet`` on a ResNet encoder, and a narrow CPU encoder.

``resnet18``, ``resnet34`` and ``resnet50`` are torchvision's ResNets (the production
model is ResNet-34). ``xresnet18_narrow`` is fastai's ``xresnet18`` at a quarter of its
width (~3 M parameters in the whole UNet): it learns the synthetic scenes on a CPU in
minutes, where a ResNet-18 UNet does not, so demos and tests use it.

With 1 input channel the first convolution is rebuilt for one channel (from the sum
of the pretrained RGB filters when pretrained, as fastai does). ImageNet weights are
only ever read from torch's hub cache: nothing is downloaded, and ``pretrained``
without cached weights fails naming the file that is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from cerulean_infer import load_state_file
from cerulean_train.errors import BackboneError
from cerulean_train.statedict import load_fitting


@dataclass(frozen=True)
class Backbone:
    """A known encoder: how to build it and which ImageNet weights it may start from.

    Attributes:
        name: the backbone's name in configs and bundles.
        build: makes the full classification network (its body becomes the encoder).
        weights_url: torchvision's ImageNet weights for it (None: no pretrained weights).
    """

    name: str
    build: Callable[[], nn.Module]
    weights_url: str | None

    def cached_weights(self) -> Path:
        """The path torch's hub cache keeps the ImageNet weights at.

        Raises:
            BackboneError: the backbone has none, or they are not in the cache.
        """
        if self.weights_url is None:
            raise BackboneError(f"backbone {self.name!r} has no pretrained weights; "
                                "train it without --pretrained")
        path = Path(torch.hub.get_dir()) / "checkpoints" / Path(self.weights_url).name
        if not path.is_file():
            raise BackboneError(f"--pretrained: no cached ImageNet weights for {self.name} "
                                f"at {path} (nothing is downloaded; put the file there or "
                                "pass --weights PATH)")
        return path


def _torchvision(name: str) -> nn.Module:
    import torchvision

    model: nn.Module = getattr(torchvision.models, name)(weights=None)
    return model


def _narrow() -> nn.Module:
    from fastai.vision.models.xresnet import xresnet18

    model: nn.Module = xresnet18(widen=0.25)
    return model


def _url(weights: str) -> str:
    import torchvision

    enum_name, _, member = weights.partition(".")
    url: str = getattr(getattr(torchvision.models, enum_name), member).url
    return url


BACKBONES: dict[str, Callable[[], Backbone]] = {
    "resnet18": lambda: Backbone("resnet18", partial(_torchvision, "resnet18"),
                                 _url("ResNet18_Weights.IMAGENET1K_V1")),
    "resnet34": lambda: Backbone("resnet34", partial(_torchvision, "resnet34"),
                                 _url("ResNet34_Weights.IMAGENET1K_V1")),
    "resnet50": lambda: Backbone("resnet50", partial(_torchvision, "resnet50"),
                                 _url("ResNet50_Weights.IMAGENET1K_V2")),
    "xresnet18_narrow": lambda: Backbone("xresnet18_narrow", _narrow, None),
}
"""Backbone name → its description (built lazily: torchvision loads on first use)."""


def backbone(name: str) -> Backbone:
    """The backbone called ``name``.

    Raises:
        BackboneError: an unknown name (the message lists the known ones).
    """
    try:
        return BACKBONES[name]()
    except KeyError:
        raise BackboneError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None


def build_unet(name: str, n_in: int, n_classes: int, *, pretrained: bool = False,
               img_size: int = 512) -> nn.Module:
    """A fastai ``DynamicUnet`` with ``n_in`` input channels and ``n_classes`` outputs.

    The decoder is sized for ``img_size`` tiles; the network runs on any size that is
    a multiple of 32 (the decoder resizes to its skip connections).

    Raises:
        BackboneError: unknown backbone, or ``pretrained`` without cached weights.
    """
    from fastai.vision.learner import create_body
    from fastai.vision.models.unet import DynamicUnet

    spec = backbone(name)
    model = spec.build()
    if pretrained:
        cached = spec.cached_weights()
        load_fitting(model, load_state_file(cached, "pretrained weights"), cached,
                     f"the {name} backbone", BackboneError)
    body = create_body(model, n_in, pretrained, None)
    unet: nn.Module = DynamicUnet(body, n_classes, (img_size, img_size))
    return unet


def encoder_split(model: nn.Module) -> list[list[nn.Parameter]]:
    """Parameter groups for freezing: the encoder, then everything after it."""
    children = list(model.children())
    encoder = list(children[0].parameters())
    rest = [p for child in children[1:] for p in child.parameters()]
    return [encoder, rest]


__all__ = ["BACKBONES", "Backbone", "backbone", "build_unet", "encoder_split"]
