"""Ground truth of a tile: class raster, instances and nodata, after the class preset.

The class raster paints the tile's annotations in annotation order, each as its
class index, so where annotations overlap the later one wins: the rule of the tiler's
``class_raster``. The class map is applied first (an annotation whose class it removes
is not painted). (The UNet trainer puts the smallest instance on top instead; the two
differ only where annotations of two classes overlap.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from cerulean_coco import Sample
from cerulean_eval.errors import ChannelError
from cerulean_eval.records import TileTruth, TruthInstance
from cerulean_eval.types import BoolArray, UInt8Array
from cerulean_tiling import CONSTANT, ClassMap, class_raster


def truth_instances(sample: Sample, classes: ClassMap) -> tuple[TruthInstance, ...]:
    """The sample's annotations that the evaluated classes keep, in annotation order."""
    out = []
    for inst in sample.instances:
        label = classes.index(inst.category_id)
        if label is not None:
            ann = inst.annotation
            out.append(TruthInstance(label, inst.mask, ann.id, int(ann.area), ann.bbox,
                                     dict(ann.segmentation)))
    return tuple(out)


def truth_raster(instances: tuple[TruthInstance, ...], shape: tuple[int, int]) -> UInt8Array:
    """Class-index raster of the instances (later instances paint over earlier ones)."""
    return class_raster(shape, [(t.label, t.mask) for t in instances])


def read_bands(path: Path, names: tuple[str, ...]) -> dict[str, UInt8Array]:
    """Read the tile bands called ``names`` (by band description) from a GeoTIFF."""
    with rasterio.open(path) as src:
        descriptions = list(src.descriptions)
        out = {}
        for name in names:
            if name not in descriptions:
                raise ChannelError(f"{path}: no band named {name!r} "
                                   f"(bands: {', '.join(str(d) for d in descriptions)})")
            out[name] = src.read(descriptions.index(name) + 1).astype(np.uint8, copy=False)
    return out


def model_input(bands: dict[str, UInt8Array], channels: tuple[str, ...],
                shape: tuple[int, int], where: str) -> UInt8Array:
    """Stack a model's input channels ``[C, H, W]`` from tile bands.

    ``constant`` (255) and ``constant=V`` are synthesised; any other channel must be a
    band of the tile.
    """
    layers = []
    for channel in channels:
        name, _, value = channel.partition("=")
        if name == CONSTANT and channel not in bands:
            layers.append(np.full(shape, int(value) if value else 255, dtype=np.uint8))
        elif channel in bands:
            layers.append(bands[channel])
        else:
            raise ChannelError(f"{where}: the model needs channel {channel!r}, the tile has "
                               f"{', '.join(bands)}")
    return np.stack(layers)


def tile_truth(sample: Sample, classes: ClassMap, vv: UInt8Array) -> TileTruth:
    """A tile's truth as scoring needs it: instances, their raster and the VV band."""
    instances = truth_instances(sample, classes)
    raster = truth_raster(instances, (sample.image.height, sample.image.width))
    return TileTruth(sample.image, instances, raster, vv)


def valid_pixels(vv: UInt8Array) -> BoolArray:
    """Pixels with data: VV = 0 marks nodata (outside the scene footprint)."""
    valid: BoolArray = vv != 0
    return valid


__all__ = ["model_input", "read_bands", "tile_truth", "truth_instances", "truth_raster",
           "valid_pixels"]
