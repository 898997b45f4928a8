"""Training augmentation shared by both model families (torchvision ``transforms.v2``).

One pipeline transforms a tile image together with its targets, as ``tv_tensors``:
random horizontal and vertical flips, an affine warp (rotation ±``degrees``, scale
1 ± ``scale``), an optional random resized crop to ``size``, and an intensity jitter on
the VV channel only (auxiliary channels are measurements of something else, not radar
brightness). Images are resampled bilinearly; masks always nearest, so class ids and
instance masks stay crisp. Image pixels warped in from outside the tile are 0, which is
what the serving service treats as no data; instance masks are 0 there, and class
rasters take the value the caller names (the UNet's ignore index, so the loss skips
them as it skips the tile's own no-data pixels).

For instances, boxes are recomputed from the transformed masks (a rotated box is not
the box of the rotated slick) and instances left with fewer than ``min_area`` pixels,
for example cropped away, are dropped.

Randomness comes from torch's global generator: wrap calls in
:func:`cerulean_train.data.seeding.torch_seeded` for reproducible samples. The UNet
trains without augmentation by default, as in production (the ``augment`` switch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torchvision import tv_tensors
from torchvision.ops import masks_to_boxes
from torchvision.transforms import v2


@dataclass(frozen=True)
class AugmentSettings:
    """Strength of each augmentation (0 or None switches one off).

    Attributes:
        hflip: probability of a horizontal flip.
        vflip: probability of a vertical flip.
        degrees: largest rotation either way, in degrees.
        scale: largest relative zoom in or out.
        crop_scale: area range of the random resized crop (None: no crop).
        size: output side of the random resized crop, in pixels.
        vv_gain: largest relative brightness change of the VV channel.
        vv_offset: largest brightness shift of VV (0–1 units) on valid (non-zero) pixels.
        min_area: instances with fewer mask pixels after the transform are dropped.
    """

    hflip: float = 0.5
    vflip: float = 0.5
    degrees: float = 10.0
    scale: float = 0.05
    crop_scale: tuple[float, float] | None = None
    size: int | None = None
    vv_gain: float = 0.1
    vv_offset: float = 0.02
    min_area: int = 1


class VVJitter(v2.Transform):  # type: ignore[misc]  # torchvision ships no stubs
    """Random gain and offset on channel 0 (VV) of images; masks and boxes pass through.

    Zero pixels (no data) stay zero, and values are clamped to 0–1.
    """

    _transformed_types = (tv_tensors.Image,)

    def __init__(self, gain: float, offset: float) -> None:
        super().__init__()
        self.gain = gain
        self.offset = offset

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        gain = 1.0 + (torch.rand(()).item() * 2 - 1) * self.gain
        offset = (torch.rand(()).item() * 2 - 1) * self.offset
        return {"gain": gain, "offset": offset}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        out = inpt.clone()
        vv = out[0]
        valid = vv > 0
        vv[valid] = (vv[valid] * params["gain"] + params["offset"]).clamp(1 / 255, 1.0)
        return tv_tensors.wrap(out, like=inpt)


@dataclass(frozen=True)
class InstanceTargets:
    """Instance targets after augmentation: ``masks [N, H, W]`` uint8, ``boxes [N, 4]``
    (x0, y0, x1, y1; x1/y1 exclusive), ``labels [N]``."""

    masks: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor


class Augmenter:
    """The augmentation pipeline built from :class:`AugmentSettings`."""

    def __init__(self, settings: AugmentSettings | None = None) -> None:
        self.settings = settings or AugmentSettings()
        self._pipelines: dict[int, v2.Compose] = {}

    def pipeline(self, outside: int = 0) -> v2.Compose:
        """The transforms, with masks filled with ``outside`` where the warp brings in
        pixels from beyond the tile (built once per fill value)."""
        if outside not in self._pipelines:
            self._pipelines[outside] = self._build(outside)
        return self._pipelines[outside]

    def _build(self, outside: int) -> v2.Compose:
        s = self.settings
        steps: list[v2.Transform] = []
        if s.hflip:
            steps.append(v2.RandomHorizontalFlip(s.hflip))
        if s.vflip:
            steps.append(v2.RandomVerticalFlip(s.vflip))
        if s.degrees or s.scale:
            fill = {tv_tensors.Image: 0, tv_tensors.Mask: outside}
            steps.append(v2.RandomAffine(degrees=s.degrees, scale=(1 - s.scale, 1 + s.scale),
                                         interpolation=v2.InterpolationMode.BILINEAR, fill=fill))
        if s.crop_scale is not None and s.size is not None:
            steps.append(v2.RandomResizedCrop(s.size, scale=s.crop_scale, ratio=(1.0, 1.0),
                                              antialias=True))
        if s.vv_gain or s.vv_offset:
            steps.append(VVJitter(s.vv_gain, s.vv_offset))
        return v2.Compose(steps)

    def semantic(self, image: torch.Tensor, target: torch.Tensor, outside: int,
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Augment a float image ``[C, H, W]`` (0–1) and its class raster ``[H, W]``;
        target pixels warped in from beyond the tile become ``outside``."""
        out_image, out_mask = self.pipeline(outside)(tv_tensors.Image(image),
                                                     tv_tensors.Mask(target))
        return out_image.as_subclass(torch.Tensor), out_mask.as_subclass(torch.Tensor)

    def instances(self, image: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor,
                  ) -> tuple[torch.Tensor, InstanceTargets]:
        """Augment a float image ``[C, H, W]`` with instance ``masks [N, H, W]`` and their
        ``labels [N]``; boxes come from the transformed masks, empty instances go."""
        out_image, out_masks = self.pipeline()(tv_tensors.Image(image), tv_tensors.Mask(masks))
        out_masks = out_masks.as_subclass(torch.Tensor)
        return out_image.as_subclass(torch.Tensor), instance_targets(
            out_masks, labels, self.settings.min_area)


def instance_targets(masks: torch.Tensor, labels: torch.Tensor,
                     min_area: int = 1) -> InstanceTargets:
    """Targets from instance masks: boxes recomputed from the masks, and instances with
    fewer than ``min_area`` pixels dropped."""
    keep = (masks.flatten(1).sum(1) >= max(min_area, 1) if len(masks)
            else torch.zeros(0, dtype=torch.bool))
    masks, labels = masks[keep], labels[keep]
    if len(masks):
        boxes = masks_to_boxes(masks)
        boxes[:, 2:] += 1
    else:
        boxes = torch.zeros((0, 4), dtype=torch.float32)
    return InstanceTargets(masks.to(torch.uint8), boxes, labels)


__all__ = ["AugmentSettings", "Augmenter", "InstanceTargets", "VVJitter", "instance_targets"]
