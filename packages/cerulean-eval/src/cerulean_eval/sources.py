"""Where predictions come from: a model run over the dataset, or saved files.

- :func:`evaluate_predictor`: a cerulean-infer ``Predictor`` (or anything with its
  ``manifest`` and ``predict_tiles``) over every dataset tile, in batches; input
  channels are the tile bands named by ``manifest.channels``.
- :func:`read_coco_results`: a COCO results JSON (a list of ``{image_id,
  category_id, segmentation (RLE), score}``; ``bbox`` optional), category ids being
  those of the evaluated classes.
- :func:`read_class_rasters`: a folder with one class-index raster per tile,
  ``<tile name>.tif`` or ``.png`` (band 1, uint8, 0 = background).
- GeoJSON slicks are read by :mod:`cerulean_eval.geojson`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import rasterio
from pycocotools import mask as mask_utils
from rasterio.errors import NotGeoreferencedWarning

from cerulean_coco import CocoDataset, Sample
from cerulean_eval.classes import category_index
from cerulean_eval.errors import (
    EmptyPredictionsError,
    PredictionsError,
    ShapeMismatchError,
    UnknownImageError,
)
from cerulean_eval.records import PredInstance
from cerulean_infer import BundleManifest
from cerulean_tiling import ClassMap
from cerulean_tiling.arrays import BoolArray, UInt8Array


class TilePredictor(Protocol):
    """What the evaluation needs of cerulean-infer's ``Predictor``."""

    @property
    def manifest(self) -> BundleManifest:
        """The bundle's description (arch, classes, channels)."""

    def predict_tiles(self, batch: UInt8Array) -> Any:
        """Predict a uint8 batch ``[B, C, H, W]``: ``.probabilities`` (unet) or
        ``.instances`` (maskrcnn)."""


def batches(dataset: CocoDataset, size: int) -> Iterator[list[Sample]]:
    """The dataset's samples in image order, ``size`` at a time."""
    batch: list[Sample] = []
    for sample in dataset.iter_samples():
        batch.append(sample)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def convert_instances(instances: Any, mask_threshold: float) -> list[PredInstance]:
    """cerulean-infer ``InstancePrediction`` records → :class:`PredInstance` (boxes as xywh)."""
    out = []
    for inst in instances:
        x0, y0, x1, y1 = (float(v) for v in inst.box)
        out.append(PredInstance.from_mask(int(inst.label), float(inst.score),
                                          np.asarray(inst.mask) >= mask_threshold,
                                          (x0, y0, x1 - x0, y1 - y0)))
    return out


def read_coco_results(path: Path, dataset: CocoDataset, classes: ClassMap,
                      allow_empty: bool = False) -> dict[int, list[PredInstance]]:
    """Read a COCO results file into instances per image id.

    Raises:
        PredictionsError: not a JSON list of results, or a malformed result.
        UnknownImageError: a result names an image id the dataset lacks.
        CategoryMismatchError: a result's category id is not an evaluated class.
        ShapeMismatchError: a segmentation's size is not its image's.
        EmptyPredictionsError: no result at all and not ``allow_empty``.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PredictionsError(f"{path}: unreadable COCO results ({exc})") from None
    if isinstance(doc, dict) and "annotations" in doc:
        doc = doc["annotations"]
    if not isinstance(doc, list):
        raise PredictionsError(f"{path}: COCO results must be a JSON list of detections")
    if not doc and not allow_empty:
        raise EmptyPredictionsError(f"{path}: no predictions (use --allow-empty to score "
                                    "an empty prediction as such)")
    sizes = {image.id: (image.height, image.width) for image in dataset.images}
    out: dict[int, list[PredInstance]] = {}
    for n, result in enumerate(doc):
        where = f"{path}: result {n}"
        try:
            image_id = int(result["image_id"])
            category_id = int(result["category_id"])
            score = float(result.get("score", 1.0))
            segmentation = result["segmentation"]
            box = result.get("bbox")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PredictionsError(f"{where}: not a segmentation result ({exc})") from None
        if image_id not in sizes:
            raise UnknownImageError(f"{where}: image_id {image_id} is not in the dataset")
        label = category_index(classes, category_id, where)
        mask = _decode(segmentation, sizes[image_id], where)
        xywh = None
        if box is not None:
            if not isinstance(box, list) or len(box) != 4:
                raise PredictionsError(f"{where}: bbox {box!r} is not [x, y, w, h]")
            xywh = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        out.setdefault(image_id, []).append(PredInstance.from_mask(label, score, mask, xywh))
    return out


def _decode(segmentation: Any, shape: tuple[int, int], where: str) -> BoolArray:
    if not isinstance(segmentation, dict) or "counts" not in segmentation \
            or "size" not in segmentation:
        raise PredictionsError(f"{where}: segmentation is not an RLE {{size, counts}}")
    size = tuple(int(v) for v in segmentation["size"])
    if size != shape:
        raise ShapeMismatchError(f"{where}: segmentation size {list(size)} is not the "
                                 f"image's {list(shape)} (height, width)")
    rle = dict(segmentation)
    if isinstance(rle["counts"], list):
        rle = mask_utils.frPyObjects(rle, *shape)
    elif isinstance(rle["counts"], str):
        rle["counts"] = rle["counts"].encode("ascii")
    try:
        mask: BoolArray = mask_utils.decode(rle).astype(bool)
    except (TypeError, ValueError) as exc:
        raise PredictionsError(f"{where}: undecodable RLE ({exc})") from None
    return mask


def read_class_rasters(folder: Path, dataset: CocoDataset, classes: ClassMap,
                       allow_empty: bool = False) -> dict[int, UInt8Array]:
    """Read one class-index raster per dataset tile from ``folder``.

    Raises:
        UnknownImageError: a raster is named after no tile of the dataset.
        PredictionsError: a tile has no raster, a raster is unreadable, or holds a
            value that is not a class index.
        ShapeMismatchError: a raster's size is not its tile's.
        EmptyPredictionsError: every raster is background and not ``allow_empty``.
    """
    by_name = {image.name: image for image in dataset.images}
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".tif", ".png"))
    for path in files:
        if path.stem not in by_name:
            raise UnknownImageError(f"{path}: names no tile of the dataset")
    found = {p.stem: p for p in files}
    out: dict[int, UInt8Array] = {}
    for name, image in by_name.items():
        if name not in found:
            raise PredictionsError(f"{folder}: no raster for tile {name!r} "
                                   f"(expected {name}.tif or {name}.png)")
        path = found[name]
        try:
            # Class rasters need no georeference: their tile's record has it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(path) as src:
                    raster = src.read(1)
        except rasterio.errors.RasterioIOError as exc:
            raise PredictionsError(f"{path}: unreadable raster ({exc})") from None
        if raster.shape != (image.height, image.width):
            raise ShapeMismatchError(f"{path}: raster is {raster.shape[1]}×{raster.shape[0]}, "
                                     f"the tile {image.width}×{image.height}")
        k = classes.num_classes
        if raster.dtype.kind not in "ui" or (raster.size and int(raster.max()) >= k):
            raise PredictionsError(f"{path}: values must be class indices 0–{k - 1}")
        out[image.id] = raster.astype(np.uint8)
    if not allow_empty and not any(r.any() for r in out.values()):
        raise EmptyPredictionsError(f"{folder}: every raster is background (use --allow-empty "
                                    "to score an empty prediction as such)")
    return out


__all__ = ["TilePredictor", "batches", "convert_instances", "read_class_rasters",
           "read_coco_results"]
