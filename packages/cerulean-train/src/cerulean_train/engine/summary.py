"""``run.json``: the summary of a finished run, one typed record for both families.

The epoch loop writes it once, when a run ends; the bundle exporter reads it back as the
same record. A file missing a field or holding a wrong type (a run made by an older
version) is refused in one line naming ``run.json`` and the field, never read with a
default standing in for what the run did not record.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from cerulean_coco import CocoDataset
from cerulean_tiling.jsonio import read_json_object, write_json
from cerulean_train.errors import CheckpointError
from cerulean_train.run import SUMMARY


@dataclass(frozen=True)
class TileGrid:
    """The grid the training tiles lie on, which a bundle must be served on.

    Attributes:
        grid: ``tms`` (the serving tile matrix set) or ``pixel``.
        zoom: the tile matrix zoom (9, the serving zoom, for pixel grids).
        tile_size: the tile side in pixels.
    """

    grid: str
    zoom: int
    tile_size: int

    @classmethod
    def of(cls, coco: CocoDataset) -> TileGrid:
        """The grid of a dataset's tiles (its first image's)."""
        image = coco.images[0]
        zoom = image.tile_index[0] if image.grid == "tms" else 9
        return cls(image.grid, int(zoom), image.width)


@dataclass(frozen=True)
class RunSummary:
    """What a finished run reports in ``run.json``.

    Attributes:
        status: ``complete``.
        arch: the model family (``unet`` or ``maskrcnn``).
        epochs: epochs trained in total (resumed ones included).
        best_epoch: the (0-based) epoch whose weights are ``weights.pt``.
        monitor: the metric that chose it.
        stopped_early: early stopping ended the run.
        classes: the model's class names, background first.
        category_ids: their dataset category ids.
        channels: the input channels, in order.
        metrics: the best epoch's validation numbers (null where undefined).
        grid: the tile grid of the training tiles.
        train_tiles: training tiles (one epoch's samples before repeats).
        val_tiles: validation tiles.
        weights_digests: SHA-256 of the final weights on each process, in rank order.
        seconds_last_invocation: training time of the invocation that finished the run.
    """

    status: str
    arch: str
    epochs: int
    best_epoch: int
    monitor: str
    stopped_early: bool
    classes: list[str]
    category_ids: list[int]
    channels: list[str]
    metrics: dict[str, float | None]
    grid: TileGrid
    train_tiles: int
    val_tiles: int
    weights_digests: list[str]
    seconds_last_invocation: float

    def finite_metrics(self) -> dict[str, float]:
        """The metrics that have a value."""
        return {k: v for k, v in self.metrics.items() if v is not None and math.isfinite(v)}

    def write(self, run_dir: Path) -> None:
        """Write ``run.json`` into ``run_dir`` (atomically; JSON has no NaN: null)."""
        write_json(Path(run_dir) / SUMMARY, _finite(asdict(self)), indent=2, what="run summary")

    @classmethod
    def read(cls, run_dir: Path) -> RunSummary:
        """Read a run's ``run.json``.

        Raises:
            CheckpointError: the run has not finished (no summary), the file is
                unreadable, or a field is missing or of the wrong type (an older run).
        """
        path = Path(run_dir) / SUMMARY
        if not path.exists():
            raise CheckpointError(f"{run_dir}: the run has not finished (no {SUMMARY})")
        doc = read_json_object(path, "run summary", error=CheckpointError)
        values = _fields(cls, doc, path)
        values["grid"] = TileGrid(**_fields(TileGrid, values["grid"], path, "grid."))
        return cls(**values)


def _fields(record: type, doc: dict[str, Any], path: Path, prefix: str = "") -> dict[str, Any]:
    """``doc``'s values for the fields of ``record``, each checked against its type."""
    hints = typing.get_type_hints(record)
    values = {}
    for item in fields(record):
        if item.name not in doc:
            raise CheckpointError(f"{path}: no '{prefix}{item.name}' (a run made by an older "
                                  "cerulean-train; train it again to export it)")
        value = doc[item.name]
        if not _fits(value, hints[item.name]):
            raise CheckpointError(f"{path}: '{prefix}{item.name}' is not "
                                  f"{_describe(hints[item.name])}")
        values[item.name] = value
    return values


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value has the shape of a field type (records are checked apart)."""
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return isinstance(value, dict)
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if origin is list:
        (inner,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, inner) for v in value)
    if origin is dict:
        _, inner = typing.get_args(hint)
        return isinstance(value, dict) and all(_fits(v, inner) for v in value.values())
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return "an object"
    if typing.get_origin(hint) is None and isinstance(hint, type):
        return hint.__name__
    return str(hint)


def _finite(value: Any) -> Any:
    """JSON has no NaN: absent metrics become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


__all__ = ["SUMMARY", "RunSummary", "TileGrid"]
