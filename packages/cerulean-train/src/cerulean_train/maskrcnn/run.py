"""The Mask R-CNN run folder: what a training run leaves, and how it is read back.

Layout of ``RUN/``::

    config.yaml        the resolved MaskRCNNConfig (``arch: maskrcnn``)
    model.json         the network's constructor arguments and the class map
    checkpoint.pt      the last finished epoch: weights, optimiser, schedule, history
    best.pt            state dict of the best epoch (by the config's ``metric``)
    metrics.csv        one row per epoch
    tensorboard/       the same, as TensorBoard events
    summary.json       written when training ends: epochs, best epoch, its metrics

Every file is written atomically; ``checkpoint.pt`` is replaced once per epoch, so an
interrupted run resumes from its last finished epoch.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cerulean_tiling import atomic_path, write_json, write_text
from cerulean_train.data.classes import ClassMap
from cerulean_train.errors import CheckpointError
from cerulean_train.maskrcnn.model import ModelSpec

MODEL_JSON = "model.json"
CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
METRICS_CSV = "metrics.csv"
SUMMARY = "summary.json"
TENSORBOARD = "tensorboard"


@dataclass(frozen=True)
class ModelRecord:
    """What ``model.json`` holds: enough to rebuild the network and name its outputs."""

    spec: ModelSpec
    classes: ClassMap
    channels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"spec": self.spec.to_json(), "classes": list(self.classes.names),
                "category_ids": list(self.classes.category_ids),
                "lookup": {str(k): v for k, v in self.classes.lookup.items()},
                "class_preset": self.classes.preset, "channels": list(self.channels)}

    def write(self, run_dir: Path) -> None:
        """Write ``model.json`` into ``run_dir``."""
        write_json(run_dir / MODEL_JSON, self.to_json(), indent=2, what="model record")

    @classmethod
    def read(cls, run_dir: Path) -> ModelRecord:
        """Read ``model.json`` of a run folder.

        Raises:
            CheckpointError: missing or malformed.
        """
        path = run_dir / MODEL_JSON
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            classes = ClassMap(tuple(doc["classes"]), tuple(int(i) for i in doc["category_ids"]),
                               {int(k): int(v) for k, v in doc["lookup"].items()},
                               doc["class_preset"])
            return cls(ModelSpec.from_json(doc["spec"]), classes, tuple(doc["channels"]))
        except FileNotFoundError:
            raise CheckpointError(f"{run_dir}: not a Mask R-CNN run (no {MODEL_JSON})") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{path}: unreadable ({exc})") from None


def save(obj: Any, path: Path, what: str) -> None:
    """``torch.save`` through a temporary file renamed into place."""
    with atomic_path(path, what) as temp:
        torch.save(obj, temp)


def load(path: Path, what: str) -> Any:
    """``torch.load`` with ``weights_only=True`` onto the CPU.

    Raises:
        CheckpointError: missing or unreadable.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no {what}") from None
    except (OSError, RuntimeError, ValueError, EOFError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: unreadable {what} ({first})") from None


def write_metrics_csv(run_dir: Path, history: list[dict[str, float]]) -> None:
    """Rewrite ``metrics.csv`` from the whole history (one row per epoch)."""
    columns: list[str] = []
    for row in history:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_text(run_dir / METRICS_CSV, buffer.getvalue(), what="metrics")


def write_summary(run_dir: Path, result: Any) -> None:
    """Write ``summary.json`` from a finished run's :class:`TrainResult`."""
    best = {k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in result.best.items()}
    write_json(run_dir / SUMMARY, {
        "epochs": result.epochs, "best_epoch": result.best_epoch, "best": best,
        "stopped_early": result.stopped_early, "weights_digests": result.digests,
    }, indent=2, what="run summary")


__all__ = ["BEST", "CHECKPOINT", "METRICS_CSV", "MODEL_JSON", "SUMMARY", "TENSORBOARD",
           "ModelRecord", "load", "save", "write_metrics_csv", "write_summary"]
