"""Torch datasets over cerulean-coco datasets: channels, seeding, rasters.

Classes come from cerulean-tiling's :class:`~cerulean_tiling.ClassMap`, the one class map
every stage shares."""

from __future__ import annotations

from cerulean_train.data.channels import check_channels, read_channels, read_tile
from cerulean_train.data.seeding import (
    epoch_seed,
    sample_rng,
    sample_seed,
    seed_everything,
    torch_seeded,
    worker_init,
)
from cerulean_train.data.semantic import (
    IGNORE_INDEX,
    SemanticDataset,
    check_dataset,
    require_slicks,
    target_raster,
)

__all__ = [
    "IGNORE_INDEX",
    "SemanticDataset",
    "check_channels",
    "check_dataset",
    "epoch_seed",
    "read_channels",
    "read_tile",
    "require_slicks",
    "sample_rng",
    "sample_seed",
    "seed_everything",
    "target_raster",
    "torch_seeded",
    "worker_init",
]
