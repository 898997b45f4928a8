"""Early stopping: follow one validation number and stop when it stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved for ``patience`` epochs (0: never).

    Higher is better (a family negates a loss before handing it over). Its state
    travels in checkpoints, so a resumed run stops when an unbroken one would. Of equal
    values the later epoch is kept as the best (it trained longer).
    """

    monitor: str
    patience: int = 0
    best: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0

    def update(self, epoch: int, metrics: Mapping[str, float]) -> bool:
        """Record an epoch's metrics; True when training should stop."""
        value = metrics.get(self.monitor, math.nan)
        if not math.isnan(value) and value > self.best:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
        else:
            # A tie keeps the later, longer-trained weights but is no improvement.
            if value == self.best:
                self.best_epoch = epoch
            self.bad_epochs += 1
        return bool(self.patience) and self.bad_epochs >= self.patience

    def state(self) -> dict[str, Any]:
        """Plain data for a checkpoint."""
        return asdict(self)


__all__ = ["EarlyStopping"]
