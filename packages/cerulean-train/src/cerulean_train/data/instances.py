"""The Mask R-CNN's dataset: tile images with instance targets as torchvision expects them.

Each item is ``(image, target)``: ``image`` float32 ``[C, H, W]`` = uint8 tile / 255 in
the run's channel order (what the serving service feeds the model); ``target`` a dict
with ``boxes`` float32 ``[N, 4]`` (x0, y0, x1, y1 in pixels, x1/y1 exclusive, computed
from the masks), ``labels`` int64 ``[N]`` (model class indexes, 1…, see
:class:`ClassMap`) and ``masks`` uint8 ``[N, H, W]``.

**Classes** are remapped when annotations load: instances of categories the remap
removes are dropped. **Area floor:** instances with fewer than ``min_area`` mask pixels
(after augmentation, which may crop them) are dropped, as tiny fragments teach the
model nothing but noise (production used 100 px). **Negative tiles** (no instance after
the remap) stay, with empty targets; ``negatives`` caps how many, chosen by the seed.
**Size:** tiles of another side than ``size`` are resized (image bilinear, masks
nearest). **Determinism:** the augmentation of item ``i`` in epoch ``e`` depends only
on ``(seed, e, i)``; set the epoch with :meth:`InstanceDataset.set_epoch`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional
from torch.utils.data import Dataset

from cerulean_coco import CocoDataset, Sample
from cerulean_tiling import ClassMap
from cerulean_train.augment import Augmenter, InstanceTargets, instance_targets
from cerulean_train.data.channels import read_channels
from cerulean_train.data.seeding import sample_seed, torch_seeded
from cerulean_train.data.semantic import check_dataset, select_tiles
from cerulean_train.errors import DatasetError

Target = dict[str, torch.Tensor]
Batch = tuple[list[torch.Tensor], list[Target]]


class InstanceDataset(Dataset[tuple[torch.Tensor, Target]]):
    """Tiles of a :class:`CocoDataset` as (image, instance target) pairs.

    Args:
        coco: the dataset.
        channels: input channels in order (see :mod:`cerulean_train.data.channels`).
        classes: category → model index map.
        size: output side in pixels (None: the tiles' own size).
        augment: augmentation (flips, affine, crops, VV jitter), or None.
        seed: the run seed.
        negatives: keep at most this many tiles without instances (None: all).
        min_area: instances with fewer mask pixels are dropped.

    Raises:
        DatasetError: the dataset has no tiles.
        ChannelError: the tiles lack a wanted channel.
    """

    def __init__(self, coco: CocoDataset, channels: Sequence[str], classes: ClassMap, *,
                 size: int | None = None, augment: Augmenter | None = None, seed: int = 0,
                 negatives: int | None = None, min_area: int = 100) -> None:
        check_dataset(coco, channels)
        self.coco = coco
        self.channels = tuple(channels)
        self.classes = classes
        self.size = size
        self.augment = augment
        self.seed = seed
        self.min_area = min_area
        self.epoch = 0
        self.indices = select_tiles(coco, classes, negatives, seed)
        if not self.indices:
            raise DatasetError(f"{coco.root}: no tiles left to train on")

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next items are drawn for."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.indices)

    def sample(self, item: int) -> Sample:
        """The COCO sample behind item ``item``."""
        return self.coco.sample(self.indices[item])

    def __getitem__(self, item: int) -> tuple[torch.Tensor, Target]:
        sample = self.sample(item)
        pixels = read_channels(sample.path, self.channels)
        image = torch.from_numpy(np.ascontiguousarray(pixels)).float().div_(255)
        kept = [(index, inst) for inst in sample.instances
                if (index := self.classes.index(inst.category_id)) is not None]
        height, width = image.shape[1:]
        masks = (torch.from_numpy(np.stack([inst.mask for _, inst in kept])).to(torch.uint8)
                 if kept else torch.zeros((0, height, width), dtype=torch.uint8))
        labels = torch.tensor([index for index, _ in kept], dtype=torch.int64)
        image, masks = self._resize(image, masks)
        if self.augment is not None:
            with torch_seeded(sample_seed(self.seed, self.epoch, item)):
                image, augmented = self.augment.instances(image, masks, labels)
            masks, labels = augmented.masks, augmented.labels
        targets = instance_targets(masks, labels, self.min_area)
        return image.contiguous(), _as_dict(targets)

    def _resize(self, image: torch.Tensor, masks: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.size is None or tuple(image.shape[1:]) == (self.size, self.size):
            return image, masks
        size = (self.size, self.size)
        image = functional.interpolate(image[None], size=size, mode="bilinear",
                                       antialias=True, align_corners=False)[0]
        if len(masks):
            masks = functional.interpolate(masks[None].float(), size=size,
                                           mode="nearest")[0].to(torch.uint8)
        else:
            masks = torch.zeros((0, *size), dtype=torch.uint8)
        return image, masks


def _as_dict(targets: InstanceTargets) -> Target:
    return {"boxes": targets.boxes.to(torch.float32), "labels": targets.labels.to(torch.int64),
            "masks": targets.masks}


def collate_detection(batch: Sequence[tuple[torch.Tensor, Target]]) -> Batch:
    """DataLoader ``collate_fn``: detection models take lists, not stacked tensors
    (each image keeps its own number of instances)."""
    return [image for image, _ in batch], [target for _, target in batch]


__all__ = ["Batch", "InstanceDataset", "Target", "collate_detection"]
