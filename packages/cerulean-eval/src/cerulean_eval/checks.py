"""Cheap checks first: everything an evaluation can refuse before it does any work.

A model run over a dataset takes minutes; finding out at the end that the output folder
already exists, or at the start of the model that the row has no thresholds, wastes them.
Each check here reads only small files and metadata, and raises a one-line error naming
the file or value at fault. The commands run them all before loading a model or reading
a tile.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cerulean_coco import CocoDataset
from cerulean_eval.errors import ChannelError, ModelRowError, OutputError, PredictionsError
from cerulean_infer import ModelDescription
from cerulean_tiling.channels import CONSTANT

ROW_THRESHOLDS = {
    "unet": ("bbox_score_thresh", "pixel_score_thresh", "poly_score_thresh",
             "poly_nms_thresh"),
    "maskrcnn": ("bbox_score_thresh", "pixel_score_thresh", "poly_score_thresh",
                 "poly_nms_thresh", "pixel_nms_thresh"),
}
"""The thresholds a serving row must hold for the service to post-process its model."""


def check_output(output: Path, overwrite: bool) -> None:
    """Refuse an output folder that exists (without ``overwrite``) or cannot be made.

    Raises:
        OutputError: it exists, or its nearest existing parent is not a writable folder.
    """
    output = Path(output).absolute()
    if output.exists() and not overwrite:
        raise OutputError(f"{output}: already exists (use --overwrite to replace it)")
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: is a file, not an output folder")
    parent = output.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{output}: cannot be made, {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{output}: cannot write into {parent}")


def check_row(model: ModelDescription) -> None:
    """Refuse a serving row that lacks a threshold the service post-processes with.

    Raises:
        ModelRowError: the row has no value for one of :data:`ROW_THRESHOLDS`.
    """
    if model.row is None:
        return
    missing = [k for k in ROW_THRESHOLDS[model.manifest.arch] if k not in model.row.thresholds]
    if missing:
        raise ModelRowError(f"{model.row_path}: the row has no thresholds "
                            f"{', '.join(missing)}; the service needs them to post-process "
                            "its model, and the evaluation measures with them")


def check_dataset(dataset: CocoDataset) -> None:
    """Refuse a dataset without tiles.

    Raises:
        PredictionsError: no image in the dataset.
    """
    if not dataset.images:
        raise PredictionsError(f"{dataset.root}: the dataset has no tiles to evaluate on")


def check_channels(dataset: CocoDataset, channels: Sequence[str]) -> None:
    """Refuse a dataset whose tiles lack a channel the model reads (``vv`` always).

    Raises:
        ChannelError: the first tile without one (named).
    """
    wanted = ["vv", *(c for c in channels if c.partition("=")[0] != CONSTANT and c != "vv")]
    for image in dataset.images:
        missing = [c for c in wanted if c not in image.channels]
        if missing:
            raise ChannelError(f"{dataset.tile_path(image)}: no band named {missing[0]!r} "
                               f"(bands: {', '.join(image.channels)}); the model reads "
                               f"{', '.join(channels)}")


__all__ = ["ROW_THRESHOLDS", "check_channels", "check_dataset", "check_output", "check_row"]
