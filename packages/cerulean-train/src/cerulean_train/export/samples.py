"""The tiles an exported model is checked on against the eager one, for every family.

An exporter compares its TorchScript (and ONNX) outputs with the eager model's on a few
tiles: the first tiles of the run's validation dataset that have the exported tile size,
read with the run's channels exactly as training read them. When that dataset is gone
(a run folder moved to another machine), the comparison falls back to seeded noise of
the same shape and says so with a warning: noise exercises every operator, but a model
that only goes wrong on real tiles would pass it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from cerulean_train.config import RunConfig
from cerulean_train.data.channels import read_channels

logger = logging.getLogger(__name__)


def sample_tiles(config: RunConfig, count: int, tile_size: int) -> torch.Tensor:
    """Up to ``count`` validation tiles of ``tile_size`` as model input, float 0–1
    ``[N, C, tile_size, tile_size]`` (``count`` tiles of seeded noise, with a warning,
    when the validation dataset has none)."""
    tiles: list[np.ndarray] = []
    root = Path(config.val)
    if config.val and (root / "annotations.json").is_file():
        from cerulean_coco import CocoDataset

        coco = CocoDataset.open(root)
        for image in coco.images:
            if len(tiles) == count:
                break
            if (image.width, image.height) == (tile_size, tile_size):
                tiles.append(read_channels(coco.tile_path(image), config.channels))
    if tiles:
        return torch.from_numpy(np.stack(tiles)).float() / 255
    logger.warning("%s: no validation tiles of %d px; comparing the exported model on "
                   "seeded noise", config.val or "(no validation dataset)", tile_size)
    generator = torch.Generator().manual_seed(config.seed)
    return torch.rand((count, len(config.channels), tile_size, tile_size), generator=generator)


__all__ = ["sample_tiles"]
