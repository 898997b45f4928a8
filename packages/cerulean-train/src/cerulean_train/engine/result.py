"""What a finished training run reports to its caller (both families)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainResult:
    """How a run ended.

    Attributes:
        run_dir: the run folder.
        epochs: epochs trained in total (resumed epochs included).
        best_epoch: the (0-based) epoch whose weights are the run's ``weights.pt``.
        metrics: that epoch's reported validation numbers.
        stopped_early: early stopping ended the run.
        seconds: training time of this invocation.
        history: one row per epoch (``history.csv``).
        digests: SHA-256 of the final weights on each process (rank order).
    """

    run_dir: Path
    epochs: int
    best_epoch: int
    metrics: dict[str, float]
    stopped_early: bool
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


__all__ = ["TrainResult"]
