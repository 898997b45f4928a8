"""cerulean-coco: COCO instance-segmentation datasets from annotated Sentinel-1 scenes."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
