"""UNet scene probabilities to slick polygons, the serving service's way.

From a softmax raster ``[K, H, W]`` (class 0 background) on a lon/lat grid:

1. the oil classes' probabilities are summed into one raster ``p``;
2. hysteresis (:mod:`~cerulean_infer.postprocess.islands`): 4-connected islands of
   ``p ≥ bbox_score_thresh``, kept when a pixel reaches ``pixel_score_thresh``;
3. each kept island, trimmed to ``p ≥ poly_score_thresh``, is outlined; its pieces
   (4-connected) become one MultiPolygon, one slick per island;
4. a piece more than ``nodata_fraction`` inside the no-data border (no-data pixels as
   polygons, buffered by ``nodata_buffer_deg`` degrees) is dropped; an island with no
   piece left is dropped;
5. confidences: mean, median and max of ``p`` over the trimmed island's pixels
   (``machine_confidence`` is the median); the class is the oil class whose
   probabilities sum highest over the pixels whose centres lie in the kept pieces;
6. polygon NMS across classes (:func:`~cerulean_infer.postprocess.nms.polygon_nms`).

As in the service, the confidences in 5 count the pixels of dropped pieces too, and
no-data is where ``p == 0`` unless a ``valid`` mask is given. Each island is worked on
inside its own box (widened by the border width for the no-data test), which gives the
whole-scene answer with memory bounded by the largest island.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from rasterio.features import geometry_mask
from rasterio.transform import Affine
from shapely.geometry import MultiPolygon, Polygon

from cerulean_infer.postprocess.islands import hysteresis
from cerulean_infer.postprocess.nms import polygon_nms
from cerulean_infer.postprocess.polygons import mask_polygons, window_transform
from cerulean_infer.presets import PostprocessPreset
from cerulean_infer.records import Slick


def _overlap_fraction(polygon: Polygon, border: Any) -> float:
    if border is None or not polygon.intersects(border):
        return 0.0
    if polygon.within(border):
        return 1.0
    return float(polygon.intersection(border).area / polygon.area)


def _border(nodata: np.ndarray[Any, Any], transform: Affine, rows: slice, cols: slice,
            buffer_deg: float) -> Any:
    """The buffered no-data polygons of a window, or None when it holds no no-data."""
    window = nodata[rows, cols]
    if not window.any():
        return None
    pieces = mask_polygons(window, window_transform(transform, rows.start, cols.start))
    return shapely.buffer(MultiPolygon(pieces), buffer_deg)


def unet_slicks(probabilities: np.ndarray[Any, Any], transform: Affine,
                classes: Sequence[str], preset: PostprocessPreset,
                valid: np.ndarray[Any, Any] | None = None) -> list[Slick]:
    """Slicks from a scene's (or one tileset's) softmax probability raster.

    Args:
        probabilities: float32 ``[K, H, W]`` softmax, index 0 the background.
        transform: pixel → lon/lat affine transform of the raster.
        classes: class name of each of the K model outputs (``classes[0]`` background).
        preset: the thresholds (see the module docstring for how each is used).
        valid: optional (H, W) booleans, False where the scene has no data; default:
            no data where the summed oil probability is exactly 0 (the service's test,
            true where the VV input was 0 or no tile was predicted).

    Returns:
        The slicks after polygon NMS, in raster order of their islands.

    Raises:
        ValueError: the raster's shape does not fit ``classes`` or ``valid``.
    """
    if probabilities.ndim != 3 or probabilities.shape[0] != len(classes) or len(classes) < 2:
        raise ValueError(f"probabilities of shape {probabilities.shape} do not fit "
                         f"{len(classes)} classes {list(classes)}")
    oil = probabilities[1:].sum(axis=0, dtype=np.float32)
    if valid is not None and valid.shape != oil.shape:
        raise ValueError(f"valid mask of shape {valid.shape} does not fit {oil.shape}")
    nodata = (oil == 0) if valid is None else ~np.asarray(valid, dtype=bool)
    islands = hysteresis(oil, preset.bbox_score_thresh, preset.pixel_score_thresh)
    pad_rows = math.ceil(preset.nodata_buffer_deg / abs(transform.e)) + 1
    pad_cols = math.ceil(preset.nodata_buffer_deg / abs(transform.a)) + 1
    height, width = oil.shape
    slicks: list[Slick] = []
    for island in islands.kept:
        rows, cols = islands.window(island)
        inside = islands.labels[rows, cols] == island
        inside &= oil[rows, cols] >= preset.poly_score_thresh
        if not inside.any():
            continue
        local = window_transform(transform, rows.start, cols.start)
        pieces = mask_polygons(inside, local)
        wide_rows = slice(max(rows.start - pad_rows, 0), min(rows.stop + pad_rows, height))
        wide_cols = slice(max(cols.start - pad_cols, 0), min(cols.stop + pad_cols, width))
        border = _border(nodata, transform, wide_rows, wide_cols, preset.nodata_buffer_deg)
        pieces = [p for p in pieces if _overlap_fraction(p, border) <= preset.nodata_fraction]
        if not pieces:
            continue
        values = oil[rows, cols][inside]
        in_pieces = geometry_mask(pieces, out_shape=inside.shape, transform=local, invert=True)
        sums = [float(probabilities[k, rows, cols][in_pieces].sum())
                for k in range(1, len(classes))]
        inf_idx = 1 + sums.index(max(sums))
        median = float(np.median(values))
        slicks.append(Slick(
            geometry=MultiPolygon(pieces), inf_idx=inf_idx, class_name=classes[inf_idx],
            machine_confidence=median, mean_conf=float(np.mean(values)),
            median_conf=median, max_conf=float(np.max(values)),
        ))
    return polygon_nms(slicks, preset.poly_nms_thresh)


__all__ = ["unet_slicks"]
