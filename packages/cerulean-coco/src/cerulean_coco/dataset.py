"""Reading a dataset: images with their tile files and lazily decoded instance masks.

This is the API cerulean-train builds its torch datasets on: it stays torch-free and
decodes a mask only when it is asked for, so iterating a large dataset holds one
image's masks at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cerulean_coco.errors import DatasetReadError
from cerulean_coco.format import rle
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.layout import ANNOTATIONS_NAME, MANIFEST_NAME
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.format.records import AnnotationRecord, Category, ImageRecord
from cerulean_coco.types import Bbox
from cerulean_tiling.arrays import BoolArray
from cerulean_tiling.errors import UnsafePathError
from cerulean_tiling.paths import path_inside


@dataclass(frozen=True)
class Instance:
    """One annotation of a sample; :attr:`mask` is decoded on first access."""

    annotation: AnnotationRecord

    @property
    def category_id(self) -> int:
        """The instance's category id."""
        return self.annotation.category_id

    @property
    def bbox(self) -> Bbox:
        """COCO box ``[x, y, w, h]``."""
        return self.annotation.bbox

    @cached_property
    def mask(self) -> BoolArray:
        """Boolean mask of shape (height, width) of the image."""
        return rle.decode(self.annotation.segmentation)


@dataclass(frozen=True)
class Sample:
    """An image record, the absolute path of its tile, and its instances."""

    image: ImageRecord
    path: Path
    instances: tuple[Instance, ...]


class CocoDataset:
    """A COCO dataset folder opened for reading.

    Example::

        ds = CocoDataset.open("datasets/train")
        for sample in ds.iter_samples():
            for inst in sample.instances:
                inst.category_id, inst.mask, inst.bbox
    """

    def __init__(self, root: Path, document: CocoDocument) -> None:
        self.root = Path(root).absolute()
        self.document = document
        self._by_image = document.annotations_by_image()

    @classmethod
    def open(cls, path: Path | str) -> CocoDataset:
        """Open a dataset folder, or its ``annotations.json`` directly.

        Raises:
            DatasetReadError: no dataset there, or its annotations are malformed.
        """
        path = Path(path)
        if path.is_dir():
            return cls(path, CocoDocument.load(path / ANNOTATIONS_NAME))
        if path.is_file():
            return cls(path.parent, CocoDocument.load(path))
        raise DatasetReadError(f"{path}: no such dataset folder or annotations file")

    @property
    def images(self) -> list[ImageRecord]:
        """Image records in id order."""
        return self.document.images

    @property
    def categories(self) -> list[Category]:
        """Categories in id order."""
        return self.document.categories

    @property
    def annotations(self) -> list[AnnotationRecord]:
        """All annotation records."""
        return self.document.annotations

    @cached_property
    def manifest(self) -> Manifest | None:
        """The dataset's manifest, or None when the folder has none."""
        if not (self.root / MANIFEST_NAME).exists():
            return None
        return Manifest.load(self.root)

    def tile_path(self, image: ImageRecord) -> Path:
        """Absolute path of an image's tile file; see :meth:`file_path`."""
        return self.file_path(image.file_name)

    def file_path(self, file_name: str) -> Path:
        """Absolute path of a file the dataset names (``tiles/<name>.tif``).

        Raises:
            DatasetReadError: the name leads outside the dataset folder (through ``..``,
                an absolute path or a symbolic link).
        """
        try:
            return path_inside(self.root, file_name, "file_name")
        except UnsafePathError as exc:
            raise DatasetReadError(f"{self.root}: {exc}") from None

    def __len__(self) -> int:
        return len(self.document.images)

    def sample(self, index: int) -> Sample:
        """The sample at position ``index`` of :attr:`images` (for random access)."""
        image = self.document.images[index]
        instances = tuple(Instance(a) for a in self._by_image.get(image.id, ()))
        return Sample(image, self.tile_path(image), instances)

    def __getitem__(self, index: int) -> Sample:
        return self.sample(index)

    def iter_samples(self) -> Iterator[Sample]:
        """Yield every sample in image order; masks decode when first accessed."""
        for index in range(len(self)):
            yield self.sample(index)


__all__ = ["CocoDataset", "Instance", "Sample"]
