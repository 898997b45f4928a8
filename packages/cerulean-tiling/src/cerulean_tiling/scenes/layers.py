"""Decoding Photopea layer PNGs into one instance mask each.

Every pixel is first put in a category (see :mod:`cerulean_tiling.scenes.categories`: one of
the class colours, white, gray, black, other, or invisible). The layer's class is the
class colour with most pixels, and its mask is the pixels of that colour (anti-aliased
edges keep the brush colour with partial alpha). A layer with no class colour — a gray
or binary mask — takes its class from a class name in its file name and its mask from
the non-black pixels; otherwise it is an error naming the file and the colours found.
Gray PNG modes (L, LA, 1, I;16) are always colourless: their white is a mask value, not
the ambiguous brush.

Only the bounding box of the mask is kept (a crop plus its offset), so whole-scene
layers never stay in memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cerulean_tiling import classes
from cerulean_tiling.arrays import BoolArray
from cerulean_tiling.errors import LayerColourError, LayerSizeError
from cerulean_tiling.scenes.categories import GRAY, WHITE, colours_found, scan_layer
from cerulean_tiling.scenes.png import open_png
from cerulean_tiling.types import LayerReport

logger = logging.getLogger(__name__)

_GRAY_MODES = ("L", "LA", "1", "I", "I;16", "I;16B", "I;16L")


@dataclass(frozen=True)
class DecodedLayer:
    """One layer's instance: class, mask crop and where the crop sits in the scene.

    Attributes:
        index: position of the layer in the scene's sorted layer list.
        file: layer file name.
        class_id: the instance's class.
        mask: boolean crop of the instance's bounding box.
        offset: (row, col) of the crop's top-left pixel in the scene.
    """

    index: int
    file: str
    class_id: int
    mask: BoolArray
    offset: tuple[int, int]


def decode_layer(
    path: Path,
    index: int,
    expected_size: tuple[int, int],
    alpha_threshold: int = 0,
    tolerance: int = 24,
) -> tuple[DecodedLayer | None, LayerReport]:
    """Decode one layer PNG into its instance.

    Args:
        path: the layer PNG.
        index: the layer's position in its scene (kept in the result).
        expected_size: (width, height) of the scene's Background.png.
        alpha_threshold: pixels with alpha above this are painted.
        tolerance: largest per-channel difference still read as a class colour.

    Returns:
        The decoded instance (None for an empty or background-only layer) and a report.

    Raises:
        SceneReadError: unreadable or not a PNG.
        LayerSizeError: size differs from the background.
        LayerColourError: no class colour and no class name in the file name.
    """
    with open_png(path) as header:
        if header.size != expected_size:
            raise LayerSizeError(
                f"{path}: layer is {header.size[0]}x{header.size[1]} but Background.png is "
                f"{expected_size[0]}x{expected_size[1]}"
            )
        gray_mode = header.mode in _GRAY_MODES
        scan = scan_layer(path, header, alpha_threshold, tolerance)
    counts = scan.counts
    visible = int(counts.sum())
    if visible == 0:
        return None, LayerReport(path.name, None, 0, ("empty layer: no painted pixel",))

    named = classes.class_in_filename(path.stem)
    coloured = counts[1:6].sum() > 0 or (not gray_mode and counts[WHITE] > 0)
    warnings: list[str] = []
    if coloured:
        candidates = {k: int(counts[k]) for k in range(1, 6)}
        if not gray_mode:
            candidates[WHITE] = int(counts[WHITE])
        category = max(candidates, key=lambda k: (candidates[k], -k))
        if candidates[category] == 0:
            return None, LayerReport(
                path.name, None, 0, ("only background colour painted: not an instance",)
            )
        class_id = category
        wanted = [category]
        for k, n in candidates.items():
            if k != category and n:
                warnings.append(f"{n} px of {classes.by_id(k).name} colour ignored")
        if named is not None and named.id != class_id:
            warnings.append(
                f"file name says {named.name} but pixels are {classes.by_id(class_id).name}"
                " colour; colour wins"
            )
    elif named is not None:
        class_id = named.id
        wanted = [WHITE, GRAY]
    else:
        raise LayerColourError(
            f"{path}: no class colour and no class name in the file name; colours found: "
            f"{colours_found(path, alpha_threshold)}"
        )

    box = _union_box(scan.boxes, wanted)
    mask = np.isin(scan.categories[box[0] : box[2], box[1] : box[3]], wanted)
    n_pixels = int(counts[wanted].sum())
    for message in warnings:
        logger.warning("%s: %s", path, message)
    layer = DecodedLayer(index, path.name, class_id, mask, (int(box[0]), int(box[1])))
    return layer, LayerReport(path.name, class_id, n_pixels, tuple(warnings))


def _union_box(boxes: np.ndarray, categories: list[int]) -> tuple[int, int, int, int]:
    sel = boxes[categories]
    sel = sel[sel[:, 2] > 0]
    return (int(sel[:, 0].min()), int(sel[:, 1].min()), int(sel[:, 2].max()),
            int(sel[:, 3].max()))
