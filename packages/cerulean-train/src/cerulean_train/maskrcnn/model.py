"""The Mask R-CNN: a typed description of its constructor arguments, and the model itself.

:class:`ModelSpec` is the whole recipe of the network as plain data. The workspace
builds the model from ``spec.to_json()`` with the same function the serving-runtime
script uses (:func:`cerulean_train.maskrcnn._runtime_script.build_model`), so the model
scripted there is the model trained here, weight for weight.

Backbone weights: none by default. ``pretrained=True`` reads torchvision's ImageNet
weights from torch's hub cache (nothing is ever downloaded); ``weights=PATH`` reads a
backbone state dict from a file. Either way the batch norms are frozen, as
torchvision does for pretrained detection backbones; a backbone trained from scratch uses
ordinary batch norm and trains every stage.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cerulean_infer import load_state_file
from cerulean_train.errors import BackboneError, ConfigError
from cerulean_train.maskrcnn._runtime_script import BACKBONES, build_model

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_TORCHVISION_WEIGHTS = {
    "resnet18": "ResNet18_Weights",
    "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights",
    "resnet101": "ResNet101_Weights",
    "resnext101_32x8d": "ResNeXt101_32X8D_Weights",
}


@dataclass(frozen=True)
class ModelSpec:
    """Constructor arguments of the Mask R-CNN (see :func:`build_model` for each key).

    The defaults are torchvision's for a 512-px tile, with wider aspect ratios (slicks
    are long and thin) and fewer proposals than torchvision's 800-px defaults.
    """

    backbone: str = "resnet34"
    num_classes: int = 4
    norm: str = "batch"
    trainable_layers: int = 5
    fpn_channels: int = 256
    anchor_sizes: tuple[int, ...] = (32, 64, 128, 256, 512)
    aspect_ratios: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    box_pool_size: int = 7
    mask_pool_size: int = 14
    representation_size: int = 1024
    mask_channels: tuple[int, ...] = (256, 256, 256, 256)
    min_size: int = 512
    max_size: int = 512
    image_mean: tuple[float, ...] = IMAGENET_MEAN
    image_std: tuple[float, ...] = IMAGENET_STD
    box_score_thresh: float = 0.05
    box_nms_thresh: float = 0.5
    detections_per_img: int = 100
    box_batch_size_per_image: int = 512
    rpn_pre_nms_top_n: tuple[int, int] = (2000, 1000)
    rpn_post_nms_top_n: tuple[int, int] = (2000, 1000)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise :class:`BackboneError` / :class:`ConfigError` for impossible values."""
        if self.backbone not in BACKBONES:
            raise BackboneError(f"unknown backbone {self.backbone!r}; known: "
                                f"{', '.join(BACKBONES)}")
        if self.norm not in ("batch", "frozen"):
            raise ConfigError(f"norm {self.norm!r} must be 'batch' or 'frozen'")
        if not 0 <= self.trainable_layers <= 5:
            raise ConfigError(f"trainable_layers {self.trainable_layers} is outside 0–5")
        if self.num_classes < 2:
            raise ConfigError(f"num_classes {self.num_classes} must count background and "
                              "at least one class")
        if len(self.anchor_sizes) != 5 or min(self.anchor_sizes) <= 0:
            raise ConfigError(f"anchor_sizes {list(self.anchor_sizes)} must be 5 positive "
                              "sizes, one per FPN level (strides 4, 8, 16, 32, 64)")
        if not self.aspect_ratios or min(self.aspect_ratios) <= 0:
            raise ConfigError(f"aspect_ratios {list(self.aspect_ratios)} must be positive")
        positive = {"fpn_channels": self.fpn_channels, "box_pool_size": self.box_pool_size,
                    "mask_pool_size": self.mask_pool_size, "min_size": self.min_size,
                    "max_size": self.max_size, "detections_per_img": self.detections_per_img,
                    "representation_size": self.representation_size,
                    "box_batch_size_per_image": self.box_batch_size_per_image}
        for key, value in positive.items():
            if value <= 0:
                raise ConfigError(f"{key} {value} must be positive")
        if not self.mask_channels or min(self.mask_channels) <= 0:
            raise ConfigError(f"mask_channels {list(self.mask_channels)} must be positive")
        if len(self.image_mean) != 3 or len(self.image_std) != 3 or min(self.image_std) <= 0:
            raise ConfigError("image_mean and image_std need 3 values (std positive)")

    def to_json(self) -> dict[str, Any]:
        """The constructor arguments as JSON-ready data (lists for tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_json`.

        Raises:
            ConfigError: an unknown key.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"unknown model setting {unknown[0]!r}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in data.items()}
        return cls(**values)


def build(spec: ModelSpec) -> nn.Module:
    """The Mask R-CNN described by ``spec``, with random weights."""
    model: nn.Module = build_model(spec.to_json())
    return model


def load_backbone_weights(model: nn.Module, backbone: str, *, pretrained: bool = False,
                          weights: Path | None = None) -> None:
    """Put ImageNet or file weights into ``model``'s ResNet body (in place).

    Args:
        model: a model from :func:`build`.
        backbone: its backbone's name.
        pretrained: torchvision's ImageNet weights for the backbone, from torch's hub cache.
        weights: a file holding a state dict of the ResNet body (a torchvision
            classification checkpoint; its ``fc`` entries are ignored).

    Raises:
        ModelLoadError: the file is unreadable or pickles more than tensors and plain data.
        BackboneError: the file's tensors do not fit the backbone,
            or ``pretrained`` with the tiny backbone (it has no published weights) or
            without the weights in the hub cache.
    """
    body: nn.Module = getattr(getattr(model, "backbone"), "body")  # noqa: B009
    if weights is not None:
        state = load_state_file(weights, "backbone weights")
        if not isinstance(state, dict):
            raise BackboneError(f"{weights}: not a state dict")
        source = str(weights)
    elif pretrained:
        name = _TORCHVISION_WEIGHTS.get(backbone)
        if name is None:
            raise BackboneError("the tiny backbone has no pretrained weights; use --weights")
        import torchvision.models

        url = getattr(torchvision.models, name).DEFAULT.url
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
        if not cached.is_file():
            raise BackboneError(f"--pretrained: no cached ImageNet weights for {backbone} at "
                                f"{cached} (nothing is downloaded; put {url} there)")
        state = load_state_file(cached, "pretrained weights")
        source = str(cached)
    else:
        return
    own = body.state_dict()
    wanted = {k: v for k, v in state.items() if k in own}
    misfit = [k for k, v in wanted.items() if v.shape != own[k].shape]
    if not wanted or misfit:
        detail = f"e.g. {misfit[0]}" if misfit else "no matching tensors"
        raise BackboneError(f"{source}: weights do not fit the backbone ({detail})")
    body.load_state_dict(wanted, strict=False)
    logger.info("loaded %d backbone tensors from %s", len(wanted), source)


def make_model(spec: ModelSpec, *, pretrained: bool = False,
               weights: Path | None = None) -> nn.Module:
    """Build the model and load backbone weights when asked."""
    model = build(spec)
    load_backbone_weights(model, spec.backbone, pretrained=pretrained, weights=weights)
    return model


__all__ = ["BACKBONES", "IMAGENET_MEAN", "IMAGENET_STD", "ModelSpec", "build",
           "load_backbone_weights", "make_model"]
