"""cerulean-train: UNet and Mask R-CNN trainers on cerulean-coco datasets, exporting
model bundles for cerulean-infer and the serving service.

Configs and errors import light; the trainers and the exporter (fastai, torchvision)
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cerulean_tiling.lazy import lazy_attributes
from cerulean_train.config import RunConfig
from cerulean_train.configs import read_run_config
from cerulean_train.errors import CeruleanTrainError
from cerulean_train.unet.config import Stage, UNetConfig
from cerulean_train.version import __version__

if TYPE_CHECKING:
    from cerulean_train.data.instances import InstanceDataset, collate_detection
    from cerulean_train.data.seeding import worker_init
    from cerulean_train.data.semantic import SemanticDataset
    from cerulean_train.engine import TrainResult
    from cerulean_train.export import ExportResult, export_bundle
    from cerulean_train.maskrcnn.model import ModelSpec, make_model
    from cerulean_train.run import RunFolder
    from cerulean_train.unet.backbones import build_unet
    from cerulean_train.unet.trainer import train_unet

_LAZY = {
    "train_unet": "cerulean_train.unet.trainer",
    "TrainResult": "cerulean_train.engine",
    "export_bundle": "cerulean_train.export",
    "ExportResult": "cerulean_train.export",
    "RunFolder": "cerulean_train.run",
    # The datasets and models the trainers are built from (for benchmarks and notebooks).
    "SemanticDataset": "cerulean_train.data.semantic",
    "InstanceDataset": "cerulean_train.data.instances",
    "collate_detection": "cerulean_train.data.instances",
    "worker_init": "cerulean_train.data.seeding",
    "build_unet": "cerulean_train.unet.backbones",
    "ModelSpec": "cerulean_train.maskrcnn.model",
    "make_model": "cerulean_train.maskrcnn.model",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CeruleanTrainError",
    "ExportResult",
    "InstanceDataset",
    "ModelSpec",
    "RunConfig",
    "RunFolder",
    "SemanticDataset",
    "Stage",
    "TrainResult",
    "UNetConfig",
    "__version__",
    "build_unet",
    "collate_detection",
    "export_bundle",
    "make_model",
    "read_run_config",
    "train_unet",
    "worker_init",
]
