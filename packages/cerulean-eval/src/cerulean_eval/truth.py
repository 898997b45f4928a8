"""Ground truth of a tile: class raster, instances and nodata, after the class preset.

The class raster paints the tile's annotations in annotation order, each as its
class index, so where annotations overlap the later one wins: the rule of the tiler's
``class_raster``. The class map is applied first (an annotation whose class it removes
is not painted). (The UNet trainer puts the smallest instance on top instead; the two
differ only where annotations of two classes overlap.)
"""

from __future__ import annotations

from cerulean_coco import Sample
from cerulean_eval.records import TileTruth, TruthInstance
from cerulean_tiling import ClassMap, class_raster
from cerulean_tiling.arrays import BoolArray, UInt8Array


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


def tile_truth(sample: Sample, classes: ClassMap, vv: UInt8Array) -> TileTruth:
    """A tile's truth as scoring needs it: instances, their raster and the VV band."""
    instances = truth_instances(sample, classes)
    raster = truth_raster(instances, (sample.image.height, sample.image.width))
    return TileTruth(sample.image, instances, raster, vv)


def valid_pixels(vv: UInt8Array) -> BoolArray:
    """Pixels with data: VV = 0 marks nodata (outside the scene footprint)."""
    valid: BoolArray = vv != 0
    return valid


__all__ = ["tile_truth", "truth_instances", "truth_raster", "valid_pixels"]
