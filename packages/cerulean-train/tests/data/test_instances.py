"""Instance targets for torchvision's detection models, from a real built dataset."""

from __future__ import annotations

from pathlib import Path

import torch

from cerulean_coco import CocoDataset
from cerulean_tiling import ClassMap
from cerulean_train.augment import Augmenter
from cerulean_train.data.instances import InstanceDataset, collate_detection

CHANNELS = ("vv", "infra_distance", "constant")


def _dataset(path: Path, **kwargs: object) -> InstanceDataset:
    coco = CocoDataset.open(path)
    return InstanceDataset(coco, CHANNELS, ClassMap.build(coco.categories, "cloud4"),
                           **kwargs)  # type: ignore[arg-type]


def test_items_are_what_torchvision_expects(dataset: Path) -> None:
    ds = _dataset(dataset, min_area=1)
    image, target = ds[0]
    assert image.dtype == torch.float32 and image.shape[0] == 3
    assert float(image.min()) >= 0 and float(image.max()) <= 1
    assert torch.all(image[2] == 1.0)  # constant = 255
    n = len(target["labels"])
    assert target["boxes"].shape == (n, 4) and target["boxes"].dtype == torch.float32
    assert target["masks"].shape == (n, *image.shape[1:]) and target["masks"].dtype == torch.uint8
    assert target["labels"].dtype == torch.int64


def test_remap_area_floor_and_negatives(dataset: Path) -> None:
    ds = _dataset(dataset, min_area=1)
    labels = torch.cat([ds[i][1]["labels"] for i in range(len(ds))])
    assert len(labels) and int(labels.min()) >= 1 and int(labels.max()) <= 3
    for i in range(len(ds)):
        _, target = ds[i]
        boxes, masks = target["boxes"], target["masks"]
        for box, mask in zip(boxes, masks, strict=True):
            ys, xs = torch.nonzero(mask, as_tuple=True)
            assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    floored = _dataset(dataset, min_area=10**6)
    assert all(len(floored[i][1]["labels"]) == 0 for i in range(len(floored)))
    assert len(floored) == len(ds)  # negative tiles keep their place, with empty targets
    capped = _dataset(dataset, min_area=1, negatives=0)
    assert len(capped) <= len(ds)


def test_augmentation_is_seeded_and_resized(dataset: Path) -> None:
    ds = _dataset(dataset, augment=Augmenter(), seed=3, size=64, min_area=1)
    ds.set_epoch(1)
    first = ds[0]
    again = ds[0]
    assert torch.equal(first[0], again[0]) and first[0].shape[1:] == (64, 64)
    ds.set_epoch(2)
    assert not torch.equal(first[0], ds[0][0])
    images, targets = collate_detection([first, again])
    assert len(images) == 2 and len(targets) == 2
