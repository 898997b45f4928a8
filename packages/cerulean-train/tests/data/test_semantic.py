"""The UNet dataset: class rasters (overlap rule), crops, negatives, determinism."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from torch.utils.data import DataLoader

from cerulean_coco import CocoDataset
from cerulean_tiling import ClassMap
from cerulean_train.augment import Augmenter
from cerulean_train.data.seeding import worker_init
from cerulean_train.data.semantic import IGNORE_INDEX, SemanticDataset, target_raster
from cerulean_train.errors import ChannelError, DatasetError


def _classes(coco: CocoDataset) -> ClassMap:
    return ClassMap.build(coco.categories, "cloud4")


def test_items_are_scaled_images_and_class_rasters(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    ds = SemanticDataset(coco, ["vv", "constant"], _classes(coco))
    image, target = ds[0]
    assert image.dtype == torch.float32 and image.shape == (2, 128, 128)
    assert target.dtype == torch.int64 and target.shape == (128, 128)
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    assert (image[1] == 1.0).all()
    assert set(target.unique().tolist()) <= {IGNORE_INDEX, 0, 1, 2, 3}


def test_overlaps_take_the_smallest_instance(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    classes = _classes(coco)
    checked = 0
    for sample in coco.iter_samples():
        raster = target_raster(sample, classes)
        kept = [i for i in sample.instances if classes.index(i.category_id) is not None]
        # Reference: for each pixel, the class of the smallest covering instance.
        best_area = np.full(raster.shape, np.iinfo(np.int64).max)
        expected = np.zeros(raster.shape, dtype=np.uint8)
        for inst in sorted(kept, key=lambda i: i.annotation.id):
            smaller = inst.mask & (inst.annotation.area <= best_area)
            expected[smaller] = classes.index(inst.category_id)
            best_area[smaller] = inst.annotation.area
        np.testing.assert_array_equal(raster, expected)
        checked += len(kept) > 1
    assert checked, "no tile with several instances to check"


def test_slick_crops_see_slicks_more_often_than_random_ones(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    share = {}
    for crop in ("random", "slick"):
        ds = SemanticDataset(coco, ["vv"], _classes(coco), size=32, crop=crop, repeats=4,
                             slick_bias=1.0)
        share[crop] = np.mean([float((ds[i][1] > 0).float().mean()) for i in range(len(ds))])
        assert ds[0][0].shape == (1, 32, 32)
    assert share["slick"] > 1.5 * share["random"]


def test_items_depend_only_on_seed_epoch_and_index(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    ds = SemanticDataset(coco, ["vv"], _classes(coco), size=48, crop="random",
                         augment=Augmenter(), seed=4)
    torch.manual_seed(0)
    first = [ds[i] for i in range(len(ds))]
    torch.manual_seed(1)
    again = [ds[i] for i in range(len(ds))]
    for (a, at), (b, bt) in zip(first, again, strict=True):
        assert torch.equal(a, b) and torch.equal(at, bt)
    ds.set_epoch(1)
    assert not all(torch.equal(a, ds[i][0]) for i, (a, _) in enumerate(first))
    ds.set_epoch(0)
    loader = DataLoader(ds, batch_size=len(ds), num_workers=2, worker_init_fn=worker_init)
    images, targets = next(iter(loader))
    assert torch.equal(images, torch.stack([a for a, _ in first]))
    assert torch.equal(targets, torch.stack([t for _, t in first]))


def test_negatives_are_capped(dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    # Only infra slicks count: tiles holding none of them are negatives.
    classes = ClassMap(("background", "infra_slick"), (0, 1), {1: 1})
    full = SemanticDataset(coco, ["vv"], classes)
    negatives = [i for i in range(len(full))
                 if not any(a.category_id == 1 for a in full.sample(i).instances)]
    assert 1 < len(negatives) < len(full)
    assert all(int(full[i][1].max()) == 0 for i in negatives)
    capped = SemanticDataset(coco, ["vv"], classes, negatives=1)
    assert len(capped) == len(full) - len(negatives) + 1


def test_bad_datasets_fail_with_one_line(dataset: Path, empty_dataset: Path) -> None:
    coco = CocoDataset.open(dataset)
    with pytest.raises(ChannelError, match="no channel 'vessel_density'"):
        SemanticDataset(coco, ["vv", "vessel_density"], _classes(coco))
    with pytest.raises(DatasetError, match="the dataset has no images"):
        empty = CocoDataset.open(empty_dataset)
        SemanticDataset(empty, ["vv"], _classes(empty))
    with pytest.raises(DatasetError, match="crop size 256 is larger than the tiles"):
        SemanticDataset(coco, ["vv"], _classes(coco), size=256, crop="random")


def test_pixels_without_data_are_ignored(four_tiles: Path, tmp_path: Path) -> None:
    edge = tmp_path / "edge"
    shutil.copytree(four_tiles, edge)
    coco = CocoDataset.open(edge)
    classes = _classes(coco)
    sample = coco.sample(0)
    # The tile's left half outside the footprint: VV 0 there (the aux band keeps values).
    with rasterio.open(sample.path, "r+") as tile:
        vv = tile.read(1)
        vv[:, :40] = 0
        tile.write(vv, 1)
    expected = target_raster(sample, classes).astype(np.int64)
    expected[vv == 0] = IGNORE_INDEX
    assert (expected[:, 40:] > 0).any() and (target_raster(sample, classes)[:, :40] > 0).any()
    for channels in (["vv"], ["infra_distance", "constant"]):  # validity without VV read too
        _, target = SemanticDataset(coco, channels, classes)[0]
        np.testing.assert_array_equal(target.numpy(), expected)
    slick = SemanticDataset(coco, ["vv"], classes, size=32, crop="slick", slick_bias=1.0,
                            repeats=8)
    crops = [slick[i][1] for i in range(0, len(slick), len(coco))]
    assert all((t > 0).any() for t in crops), "a slick crop centred on a no-data pixel"
