"""TensorBoard scalars of each epoch's row, written by rank 0 only."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Scalars:
    """Writes an epoch's numbers as TensorBoard scalars; a no-op without a folder (the
    processes other than rank 0, which write nothing)."""

    def __init__(self, folder: Path | None) -> None:
        self._writer: Any = None
        if folder is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(folder))

    def add_row(self, epoch: int, row: Mapping[str, Any]) -> None:
        """Every finite float of ``row`` at step ``epoch`` (0-based, as in history.csv)."""
        if self._writer is None:
            return
        for key, value in row.items():
            if key != "epoch" and isinstance(value, float) and math.isfinite(value):
                self._writer.add_scalar(key, value, epoch)
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if self._writer is not None:
            self._writer.close()


@contextmanager
def scalars(folder: Path, main: bool) -> Iterator[Scalars]:
    """A :class:`Scalars` writing into ``folder`` on the main process, closed after."""
    writer = Scalars(folder if main else None)
    try:
        yield writer
    finally:
        writer.close()


__all__ = ["Scalars", "scalars"]
