"""cerulean-coco: COCO instance-segmentation datasets from annotated Sentinel-1 scenes.

Reading a dataset (what training code needs) imports neither dask nor the tiler's
pipeline; :func:`build_dataset` and :class:`BuildReport` load the build machinery on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cerulean_coco.curation.filters import FilterSpec, filter_dataset
from cerulean_coco.curation.merge import merge_datasets
from cerulean_coco.curation.split import split_root, split_scenes, write_split
from cerulean_coco.dataset import CocoDataset, Instance, Sample
from cerulean_coco.describe.stats import compute_stats
from cerulean_coco.describe.validate import validate_dataset
from cerulean_coco.errors import CeruleanCocoError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.format.parameters import BuildParameters
from cerulean_coco.format.records import AnnotationRecord, Category, ImageRecord
from cerulean_coco.version import __version__

if TYPE_CHECKING:
    from cerulean_coco.building.build import BuildReport, build_dataset

_LAZY = {"build_dataset", "BuildReport"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from cerulean_coco.building import build

        return getattr(build, name)
    raise AttributeError(f"module 'cerulean_coco' has no attribute {name!r}")


__all__ = [
    "AnnotationRecord",
    "BuildParameters",
    "BuildReport",
    "Category",
    "CeruleanCocoError",
    "CocoDataset",
    "CocoDocument",
    "FilterSpec",
    "ImageRecord",
    "Instance",
    "Manifest",
    "Sample",
    "__version__",
    "build_dataset",
    "compute_stats",
    "filter_dataset",
    "merge_datasets",
    "split_root",
    "split_scenes",
    "validate_dataset",
    "write_split",
]
