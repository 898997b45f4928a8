"""Connected components of a class raster, so semantic models get instance metrics.

A UNet predicts a class per pixel, not instances. Its instances are the 8-connected
regions of one predicted class (two touching regions of different classes are two
instances), each scored by the mean probability of its class over its pixels. The
labelling is cerulean-infer's (the one its slick post-processing uses).
"""

from __future__ import annotations

from cerulean_infer import label_regions
from cerulean_tiling.arrays import Int32Array, UInt8Array


def label_components(raster: UInt8Array) -> tuple[Int32Array, int]:
    """Label the 8-connected regions of equal non-zero value.

    Returns:
        (labels, n): int32 labels 1 … n in raster scan order of each region's first
        pixel, 0 where the raster is 0.
    """
    return label_regions(raster, connectivity=8)


__all__ = ["label_components"]
