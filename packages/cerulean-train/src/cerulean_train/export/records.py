"""What an exporter is given and what it reports: the records at the bottom of export.

Every model family's exporter is an :data:`Exporter`: it takes one
:class:`ExportRequest` (the finished run, read once by
:func:`cerulean_train.export.bundle.export_bundle`) and writes ``model.ts`` (and maybe
``model.onnx``) into the staged bundle, returning a :class:`ModelExport`. The bundle
writer finds the exporter for a run's ``arch`` in its table
(:data:`cerulean_train.export.bundle.EXPORTERS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from cerulean_infer import Runtime
from cerulean_train.config import RunConfig
from cerulean_train.run import RunFolder


@dataclass(frozen=True)
class ExportRequest:
    """A finished run to export into a staged bundle folder.

    Attributes:
        run_dir: the run folder.
        staged: the bundle folder being staged; the exporter writes ``model.ts`` (and
            ``model.onnx``) there, the bundle writer the rest.
        config: the run's config.
        state: the run's trained weights (``weights.pt``).
        n_classes: classes the model predicts, background included.
        tile_size: the dataset's tile side, the size the model is exported and checked at.
        onnx: also write ``model.onnx`` (families that support it).
        runtime: ``torch==X`` (the serving runtime) or ``workspace``.
        runtime_dir: where the runtime venvs live.
    """

    run_dir: Path
    staged: Path
    config: RunConfig
    state: dict[str, torch.Tensor]
    n_classes: int
    tile_size: int
    onnx: bool
    runtime: str
    runtime_dir: Path | None

    @property
    def weights(self) -> Path:
        """The run's weights file (named in messages about weights that do not fit)."""
        return RunFolder(self.run_dir).weights


@dataclass(frozen=True)
class ModelExport:
    """What a family's exporter reports after writing ``model.ts`` into the stage.

    Attributes:
        runtime: the torch build the TorchScript was made (and verified) in.
        has_onnx: whether it wrote ``model.onnx``.
        checks: what was verified, for the log (``"model.ts == eager: max |Δ| 2e-6"``).
    """

    runtime: Runtime
    has_onnx: bool = False
    checks: tuple[str, ...] = ()


Exporter = Callable[[ExportRequest], ModelExport]
"""One model family's exporter."""

__all__ = ["ExportRequest", "Exporter", "ModelExport"]
