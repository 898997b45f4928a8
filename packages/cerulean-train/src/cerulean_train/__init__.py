"""cerulean-train: UNet and Mask R-CNN trainers on cerulean-coco datasets, exporting
model bundles for cerulean-infer and the serving service."""

from __future__ import annotations

__version__ = "0.1.0"

from cerulean_train.errors import CeruleanTrainError

__all__ = ["CeruleanTrainError", "__version__"]
