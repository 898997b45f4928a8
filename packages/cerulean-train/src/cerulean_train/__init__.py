"""cerulean-train: UNet and Mask R-CNN trainers on cerulean-coco datasets, exporting
model bundles for cerulean-infer and the serving service.

Configs and errors import light; the trainers and the exporter (fastai, torchvision)
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cerulean_train.config import RunConfig, Stage, UNetConfig, read_run_config
from cerulean_train.errors import CeruleanTrainError
from cerulean_train.version import __version__

if TYPE_CHECKING:
    from cerulean_train.export import ExportResult, export_bundle
    from cerulean_train.run import RunFolder
    from cerulean_train.unet.trainer import TrainResult, train_unet

_LAZY = {
    "train_unet": "cerulean_train.unet.trainer",
    "TrainResult": "cerulean_train.unet.trainer",
    "export_bundle": "cerulean_train.export",
    "ExportResult": "cerulean_train.export",
    "RunFolder": "cerulean_train.run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cerulean_train' has no attribute {name!r}")


__all__ = [
    "CeruleanTrainError",
    "ExportResult",
    "RunConfig",
    "RunFolder",
    "Stage",
    "TrainResult",
    "UNetConfig",
    "__version__",
    "export_bundle",
    "read_run_config",
    "train_unet",
]
