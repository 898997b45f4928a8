"""The UNet's dataset: tile images with class rasters, cropped or whole.

Each item is ``(image, target)``: ``image`` float32 ``[C, H, W]`` = uint8 tile / 255 in
the run's channel order (what the serving service feeds the model), ``target`` int64
``[H, W]`` of model class indexes (0 = background, see :class:`~cerulean_tiling.ClassMap`).

**No data.** Pixels without data (VV = 0: outside the scene footprint) are
:data:`IGNORE_INDEX` in the target: the losses and the validation metrics skip them, as
cerulean-eval does and as the serving service, which masks them out, needs. Half of the
tiles at a swath edge can be no data; counting it as background made the validation
``oil_iou`` a different number from cerulean-eval's on the same tiles.

**Overlapping instances.** Annotation layers may overlap. A pixel covered by several
instances takes the class of the *smallest* of them (by mask area; equal areas: the
later annotation id): instances are painted largest first, so a small vessel slick
inside a large natural seep stays visible instead of vanishing under it. Instances of
removed categories are not painted, their pixels are background.

**Negative tiles** (no instance left after the class remap) are kept; ``negatives``
caps how many, chosen by the seed.

**Crops.** ``whole`` resizes the whole tile to ``size`` (image bilinear with
antialiasing, target nearest). ``random`` takes a ``size`` square at a uniform random
offset. ``slick`` centres the square on a random slick pixel with probability
``slick_bias`` (anywhere otherwise, and on tiles without slicks), so training sees
slicks far more often than their few percent of pixels would give.

**Determinism.** The crop and the augmentation of item ``i`` in epoch ``e`` depend only
on ``(seed, e, i)`` (:mod:`cerulean_train.data.seeding`); set the epoch with
:meth:`SemanticDataset.set_epoch` before iterating.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional
from torch.utils.data import Dataset

from cerulean_coco import CocoDataset, Sample
from cerulean_tiling import ClassMap, class_raster
from cerulean_train.augment import Augmenter
from cerulean_train.data.channels import check_channels, read_tile
from cerulean_train.data.seeding import sample_rng, sample_seed, torch_seeded
from cerulean_train.errors import DatasetError
from cerulean_train.unet.config import CropMode

IGNORE_INDEX = -100
"""The target value of pixels without data (torch's ``cross_entropy`` default)."""


def check_dataset(coco: CocoDataset, channels: Sequence[str]) -> None:
    """Fail before training when a dataset cannot feed the run.

    Raises:
        DatasetError: the dataset has no images.
        ChannelError: a tile's recorded channels lack one the run needs (names the tile).
    """
    if len(coco) == 0:
        raise DatasetError(f"{coco.root}: the dataset has no images")
    for image in coco.images:
        check_channels(image.channels, channels, str(coco.tile_path(image)))


def require_slicks(coco: CocoDataset, classes: ClassMap, role: str, min_area: int = 1) -> None:
    """Refuse a dataset that holds no slick of the model's classes.

    Trained on, it teaches nothing but background; validated on, it measures nothing: the
    oil IoU, Dice and mask AP of a set without slicks are undefined, so no epoch could be
    chosen as best and the run would report NaN as its result. Both trainers refuse it
    before anything is written rather than train on and hide it.

    Args:
        coco: the dataset.
        classes: the run's class map (categories it removes do not count).
        role: ``"training"`` or ``"validation"``, for the message.
        min_area: the smallest instance (pixels) the run keeps.

    Raises:
        DatasetError: no annotation of a model class with at least ``min_area`` pixels.
    """
    if any(classes.index(a.category_id) is not None and a.area >= min_area
           for a in coco.annotations):
        return
    raise DatasetError(
        f"{coco.root}: no {role} tile holds a slick of the model's classes "
        f"({', '.join(classes.names[1:])}"
        + (f", {min_area} px or more" if min_area > 1 else "")
        + f"), so the {role} would measure nothing (IoU and AP undefined); "
        "use a dataset with slicks"
    )


def target_raster(sample: Sample, classes: ClassMap) -> np.ndarray:
    """The class-index raster of a sample (overlap rule: smallest instance on top)."""
    painted = [(inst.annotation.area, inst.annotation.id, index, inst)
               for inst in sample.instances
               if (index := classes.index(inst.category_id)) is not None]
    painted.sort(key=lambda item: (-item[0], item[1]))
    shape = (sample.image.height, sample.image.width)
    return class_raster(shape, [(index, inst.mask) for _, _, index, inst in painted])


def select_tiles(coco: CocoDataset, classes: ClassMap, negatives: int | None,
                 seed: int) -> list[int]:
    """Indexes of the tiles to train on: every tile with an instance of ``classes``, and
    of the others (negatives) all, or ``negatives`` of them drawn with ``seed``."""
    positive: list[int] = []
    negative: list[int] = []
    for i in range(len(coco)):
        has = any(classes.index(inst.category_id) is not None
                  for inst in coco.sample(i).instances)
        (positive if has else negative).append(i)
    if negatives is not None and len(negative) > negatives:
        chosen = np.random.default_rng([seed, 2**31]).permutation(len(negative))
        negative = sorted(negative[k] for k in chosen[:negatives])
    return sorted(positive + negative)


class SemanticDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Tiles of a :class:`CocoDataset` as (image, class raster) pairs.

    Args:
        coco: the dataset.
        channels: input channels in order (see :mod:`cerulean_train.data.channels`).
        classes: category → model index map.
        size: output side in pixels (None: the tile's own size, whole tiles only).
        crop: ``whole``, ``random`` or ``slick``.
        slick_bias: probability that a ``slick`` crop is centred on a slick pixel.
        augment: augmentation applied after cropping, or None.
        seed: the run seed.
        negatives: keep at most this many tiles without instances (None: all).
        repeats: items per tile and epoch (different crops of it with ``random`` and
            ``slick``).

    Raises:
        DatasetError: no tiles, or a crop larger than the tiles.
        ChannelError: the tiles lack a wanted channel.
    """

    def __init__(self, coco: CocoDataset, channels: Sequence[str], classes: ClassMap, *,
                 size: int | None = None, crop: CropMode = "whole", slick_bias: float = 0.8,
                 augment: Augmenter | None = None, seed: int = 0,
                 negatives: int | None = None, repeats: int = 1) -> None:
        check_dataset(coco, channels)
        self.coco = coco
        self.channels = tuple(channels)
        self.classes = classes
        self.size = size
        self.crop = crop
        self.slick_bias = slick_bias
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.repeats = repeats
        self.indices = select_tiles(coco, classes, negatives, seed)
        if not self.indices:
            raise DatasetError(f"{coco.root}: no tiles left to train on")
        smallest = min(min(im.width, im.height) for im in coco.images)
        if crop != "whole" and size is not None and size > smallest:
            raise DatasetError(f"{coco.root}: crop size {size} is larger than the tiles "
                               f"({smallest} px)")

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch the next items are drawn for."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.indices) * self.repeats

    def sample(self, item: int) -> Sample:
        """The COCO sample behind item ``item``."""
        return self.coco.sample(self.indices[item % len(self.indices)])

    def __getitem__(self, item: int) -> tuple[torch.Tensor, torch.Tensor]:
        sample = self.sample(item)
        pixels, valid = read_tile(sample.path, self.channels)
        raster = target_raster(sample, self.classes).astype(np.int64)
        raster[~valid] = IGNORE_INDEX
        if self.crop != "whole":
            pixels, raster = self._crop(pixels, raster, sample_rng(self.seed, self.epoch, item))
        image = torch.from_numpy(np.ascontiguousarray(pixels)).float().div_(255)
        target = torch.from_numpy(raster)
        if self.crop == "whole":
            image, target = self._resize(image, target)
        if self.augment is not None:
            with torch_seeded(sample_seed(self.seed, self.epoch, item)):
                image, target = self.augment.semantic(image, target, IGNORE_INDEX)
        return image.contiguous(), target.contiguous()

    def _resize(self, image: torch.Tensor, target: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.size is None or tuple(image.shape[1:]) == (self.size, self.size):
            return image, target
        size = (self.size, self.size)
        image = functional.interpolate(image[None], size=size, mode="bilinear", antialias=True,
                              align_corners=False)[0]
        target = functional.interpolate(target[None, None].float(), size=size, mode="nearest")[0, 0]
        return image, target.long()

    def _crop(self, pixels: np.ndarray, raster: np.ndarray, rng: np.random.Generator,
              ) -> tuple[np.ndarray, np.ndarray]:
        height, width = raster.shape
        side = self.size or min(height, width)
        y0 = int(rng.integers(0, height - side + 1))
        x0 = int(rng.integers(0, width - side + 1))
        if self.crop == "slick" and rng.random() < self.slick_bias:
            slick = np.flatnonzero(raster > 0)
            if len(slick):
                row, col = divmod(int(slick[int(rng.integers(0, len(slick)))]), width)
                y0 = min(max(row - side // 2, 0), height - side)
                x0 = min(max(col - side // 2, 0), width - side)
        return (pixels[:, y0:y0 + side, x0:x0 + side],
                np.ascontiguousarray(raster[y0:y0 + side, x0:x0 + side]))


__all__ = ["IGNORE_INDEX", "SemanticDataset", "check_dataset", "select_tiles", "target_raster"]
