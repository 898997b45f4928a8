"""Run folders: where a training run keeps its config, checkpoints, logs and results.

Layout of a run folder (both model families)::

    config.json            the resolved config (with ``arch``), written before training
    checkpoints/epoch-0003.pt   one per finished epoch (:class:`cerulean_train.engine.Checkpoint`)
    history.csv            one row per finished epoch (losses, metrics, seconds)
    tensorboard/           TensorBoard event files of the same values
    weights.pt             the final model state dict (``weights_only`` loadable)
    run.json               the summary (:class:`cerulean_train.engine.RunSummary`)

Every file is written atomically, checkpoints included, so a run killed at any moment
leaves the last finished epoch intact; ``--resume`` continues from it. A new run that
fails before its first checkpoint removes what it wrote (config, logs, and the folder
when it made it), so the same command can simply be run again. A folder that holds a
different config is refused naming the keys that differ (like a dataset build's
parameters are).
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from cerulean_infer import load_state_file
from cerulean_tiling.atomic import atomic_path, write_text
from cerulean_train.config import RunConfig
from cerulean_train.configs import CONFIG_NAMES, read_run_config
from cerulean_train.errors import CheckpointError, ConfigError, OutputError

CHECKPOINTS = "checkpoints"
HISTORY = "history.csv"
TENSORBOARD = "tensorboard"
WEIGHTS = "weights.pt"
SUMMARY = "run.json"

IGNORED_ON_RESUME = ("device", "num_workers")
"""Config keys a resumed run may change: where it runs, not what it computes."""


class RunFolder:
    """A training run's folder (see the module docstring for its layout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._made_folder = False

    @property
    def checkpoints(self) -> Path:
        """The checkpoint folder."""
        return self.path / CHECKPOINTS

    @property
    def tensorboard(self) -> Path:
        """The TensorBoard log folder."""
        return self.path / TENSORBOARD

    @property
    def weights(self) -> Path:
        """The final state-dict file."""
        return self.path / WEIGHTS

    @classmethod
    def prepare(cls, path: Path, config: RunConfig, resume: bool) -> RunFolder:
        """Check that ``path`` can hold a run of ``config`` (writing nothing yet).

        Raises:
            OutputError: a new run's folder exists and is not empty, or its parent is
                not a writable folder.
            CheckpointError: ``resume`` without a run there.
            ConfigError: ``resume`` with a config that differs from the run's.
        """
        path = Path(path)
        folder = cls(path)
        if resume:
            if not any((path / name).is_file() for name in CONFIG_NAMES):
                raise CheckpointError(f"{path}: no run to resume (no {CONFIG_NAMES[0]})")
            saved = read_run_config(path)
            if type(saved) is not type(config):
                raise ConfigError(f"{path}: is a {saved.arch} run, not {config.arch}")
            differ = [k for k in config.differences(saved) if k not in IGNORED_ON_RESUME]
            if differ:
                raise ConfigError(f"{path}: the run was made with other settings "
                                  f"({', '.join(differ)} differ); resume it unchanged")
            return folder
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise OutputError(f"{path}: exists and is not an empty folder (pass --resume to "
                              "continue that run, or choose another -o)")
        parent = path.absolute().parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not _writable(parent):
            raise OutputError(f"{path}: cannot create the run folder ({parent} is not a "
                              "writable folder)")
        return folder

    def start(self, config: RunConfig) -> None:
        """Create the folder and write the resolved config (a new run)."""
        try:
            self._made_folder = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the run folder ({exc})") from None
        config.write(self.path)

    @contextlib.contextmanager
    def new_run_guard(self, new: bool) -> Iterator[None]:
        """Around a run: when a ``new`` run fails before its first checkpoint, remove
        what it wrote, so nothing half-started refuses the same command afterwards.

        :meth:`prepare` found the folder absent or empty, so everything of this
        layout in it is the run's own; the folder goes too when :meth:`start` made it.
        A run with a checkpoint is kept: ``--resume`` continues it.
        """
        try:
            yield
        except BaseException:
            if new and self.last_checkpoint() is None:
                self._discard()
            raise

    def _discard(self) -> None:
        for name in (*CONFIG_NAMES, HISTORY, SUMMARY, WEIGHTS):
            (self.path / name).unlink(missing_ok=True)
        for name in (TENSORBOARD, CHECKPOINTS):
            shutil.rmtree(self.path / name, ignore_errors=True)
        if self._made_folder:
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def checkpoint_path(self, epoch: int) -> Path:
        """The checkpoint of (0-based) ``epoch``."""
        return self.checkpoints / f"epoch-{epoch:04d}.pt"

    def last_checkpoint(self) -> Path | None:
        """The newest checkpoint, or None before the first epoch finished."""
        found = sorted(self.checkpoints.glob("epoch-*.pt"))
        return found[-1] if found else None

    @staticmethod
    def load_checkpoint_weights(path: Path) -> dict[str, torch.Tensor]:
        """Read a state-dict file (``weights.pt``) with ``weights_only``.

        Raises:
            ModelLoadError: unreadable, or pickles more than tensors and plain data.
            CheckpointError: not a mapping of names to tensors.
        """
        state = load_state_file(path)
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                                  for v in state.values()):
            raise CheckpointError(f"{path}: not a state dict")
        return state

    def write_history(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rewrite ``history.csv`` from all epoch rows so far."""
        if not rows:
            return
        names = list(rows[0])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in names})
        write_text(self.path / HISTORY, buffer.getvalue(), what="training history")

    def save_weights(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Write the final state dict atomically."""
        with atomic_path(self.weights) as tmp:
            torch.save(dict(state_dict), tmp)


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK | os.X_OK)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


__all__ = ["CHECKPOINTS", "HISTORY", "IGNORED_ON_RESUME", "SUMMARY", "TENSORBOARD", "WEIGHTS",
           "RunFolder"]
