"""Shared augmentation: nearest for masks, boxes from masks, cropped-away dropped, VV only."""

from __future__ import annotations

import torch

from cerulean_train.augment import Augmenter, AugmentSettings, VVJitter, instance_targets
from cerulean_train.data.seeding import torch_seeded


def _scene() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    image = torch.rand(3, 96, 96) * 0.8 + 0.1
    masks = torch.zeros(2, 96, 96, dtype=torch.uint8)
    masks[0, 10:20, 10:60] = 1
    masks[1, 90:96, 0:4] = 1
    return image, masks, torch.tensor([1, 3])


def test_masks_stay_binary_and_boxes_follow_them() -> None:
    image, masks, labels = _scene()
    augment = Augmenter(AugmentSettings(degrees=10, scale=0.05))
    for seed in range(10):
        with torch_seeded(seed):
            out, targets = augment.instances(image, masks, labels)
        assert out.shape == image.shape
        assert set(targets.masks.unique().tolist()) <= {0, 1}
        expected = instance_targets(targets.masks, targets.labels)
        assert torch.equal(targets.boxes, expected.boxes)
        for mask, box in zip(targets.masks, targets.boxes, strict=True):
            rows, cols = torch.nonzero(mask, as_tuple=True)
            assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


def test_instances_cropped_away_are_dropped() -> None:
    image, masks, labels = _scene()
    augment = Augmenter(AugmentSettings(hflip=0, vflip=0, degrees=0, scale=0,
                                        crop_scale=(0.2, 0.3), size=48, vv_gain=0,
                                        vv_offset=0))
    counts = set()
    for seed in range(20):
        with torch_seeded(seed):
            out, targets = augment.instances(image, masks, labels)
        assert out.shape == (3, 48, 48)
        assert len(targets.labels) == len(targets.masks) == len(targets.boxes)
        assert all(int(m.sum()) > 0 for m in targets.masks)
        counts.add(len(targets.labels))
    assert min(counts) < 2


def test_class_rasters_keep_their_class_ids() -> None:
    image = torch.rand(1, 64, 64)
    target = torch.zeros(64, 64, dtype=torch.int64)
    target[5:30, 5:30] = 2
    target[40:50, 40:60] = 3
    with torch_seeded(3):
        _, out = Augmenter().semantic(image, target, outside=-100)
    assert out.dtype == torch.int64 and set(out.unique().tolist()) <= {-100, 0, 2, 3}


def test_class_rasters_are_ignored_where_the_warp_brings_in_no_data() -> None:
    image = torch.rand(2, 64, 64) * 0.8 + 0.1
    target = torch.ones(64, 64, dtype=torch.int64)
    target[:, :8] = -100                               # the tile's own no-data strip
    augment = Augmenter(AugmentSettings(hflip=0, vflip=0, degrees=30, scale=0.05,
                                        vv_gain=0, vv_offset=0))
    warped_in = 0
    for seed in range(5):
        with torch_seeded(seed):
            out_image, out = augment.semantic(image, target, outside=-100)
        outside = out_image[0] == 0
        warped_in += int(outside.sum())
        assert (out[outside] == -100).all()                      # corners: ignored, not 0
        assert 0 not in out.unique().tolist()
        # Instance masks through the same warp are 0 there.
        with torch_seeded(seed):
            _, targets = augment.instances(image, torch.ones(1, 64, 64, dtype=torch.uint8),
                                           torch.tensor([1]))
        assert (targets.masks[0][outside] == 0).all()
    assert warped_in > 0


def test_jitter_touches_vv_only_and_keeps_no_data() -> None:
    image = torch.rand(3, 32, 32) * 0.5 + 0.25
    image[0, :4] = 0
    jitter = VVJitter(0.5, 0.1)
    from torchvision import tv_tensors

    with torch_seeded(1):
        out = jitter(tv_tensors.Image(image))
    assert torch.equal(out[1:], image[1:])
    assert not torch.equal(out[0], image[0])
    assert (out[0, :4] == 0).all()
