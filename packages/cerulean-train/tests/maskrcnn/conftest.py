"""Fixtures: a tiny Mask R-CNN config and one run of it trained for two epochs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_train.engine import TrainResult
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.trainer import train_maskrcnn

TINY: dict[str, Any] = {
    "backbone": "tiny", "channels": ("vv", "constant", "constant"), "size": 128,
    "epochs": 2, "batch_size": 2, "optimizer": "adamw", "lr": 2e-3, "wd": 1e-4,
    "device": "cpu", "min_area": 20, "fpn_channels": 16, "representation_size": 64,
    "mask_channels": (16,), "anchor_sizes": (8, 16, 32, 64, 128), "detections_per_img": 10,
    "box_batch_size_per_image": 64, "rpn_pre_nms_top_n": (200, 100),
    "rpn_post_nms_top_n": (200, 100), "val_batch_size": 4,
}
"""A Mask R-CNN small enough to train a few steps on 128-px tiles in seconds."""


@pytest.fixture(scope="session")
def tiny_config(four_tiles: Path) -> Callable[..., MaskRCNNConfig]:
    """Factory of tiny configs training and validating on the four-tile dataset."""

    def make(**changes: Any) -> MaskRCNNConfig:
        values = {**TINY, "train": str(four_tiles), "val": str(four_tiles), **changes}
        return MaskRCNNConfig(**values)

    return make


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[..., Path]:
    """``config_file(config, **changes)``: ``config`` with ``changes`` as the YAML file
    ``--config`` reads (without ``arch``, which the command names)."""

    def write(config: MaskRCNNConfig, **changes: object) -> Path:
        import yaml

        doc = {**config.to_dict(), **changes}
        doc.pop("arch")
        path = tmp_path / "run.yaml"
        path.write_text(yaml.safe_dump(doc))
        return path

    return write


@pytest.fixture(scope="session")
def trained(tiny_config: Callable[..., MaskRCNNConfig],
            tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A tiny Mask R-CNN trained for two epochs (read-only)."""
    import torch

    torch.set_num_threads(1)
    return train_maskrcnn(tiny_config(), tmp_path_factory.mktemp("mrcnn") / "run",
                          progress=False)
