"""Writing a model bundle from a finished run: the part both model families share.

:func:`export_bundle` reads the run folder, stages the bundle in a hidden sibling
folder (so ``NAME.bundle`` appears complete or not at all), lets the family's exporter
(:data:`EXPORTERS`, one :data:`~cerulean_train.export.records.Exporter` per ``arch``)
write and verify ``model.ts`` (and ``model.onnx``), then writes ``weights.pt``,
``bundle.json`` (cerulean-infer's :class:`~cerulean_infer.BundleManifest`) and
``cerulean-cloud-model.json`` (its :class:`~cerulean_infer.ServingRow`) and renames the
folder into place. The row's ``pixel_f1`` and ``instance_f1`` stay null: a row carries
only numbers cerulean-eval measured through the served post-processing; the trainer's
validation numbers go into ``bundle.json`` under ``val_*`` names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import torch

from cerulean_infer import PRESETS, BundleManifest, ServingRow
from cerulean_tiling.atomic import atomic_path, staged_folder
from cerulean_train.config import RunConfig
from cerulean_train.configs import read_run_config
from cerulean_train.engine import RunSummary
from cerulean_train.errors import ExportError, OutputError
from cerulean_train.export.maskrcnn import export_maskrcnn
from cerulean_train.export.records import Exporter, ExportRequest, ModelExport
from cerulean_train.export.unet import export_unet
from cerulean_train.run import RunFolder

log = logging.getLogger(__name__)

BUNDLE_SUFFIX = ".bundle"
WEIGHTS = "weights.pt"
SERVING_ROW = "cerulean-cloud-model.json"
VERSIONED = ("cerulean-train", "cerulean-infer", "cerulean-coco", "cerulean-tiling", "torch",
             "torchvision", "fastai")

EXPORTERS: dict[str, Exporter] = {"unet": export_unet, "maskrcnn": export_maskrcnn}
"""The exporter of each model family, by the run config's ``arch``."""


@dataclass(frozen=True)
class ExportResult:
    """A written bundle: its folder, its manifest and what was verified."""

    bundle: Path
    manifest: BundleManifest
    checks: tuple[str, ...]


def export_bundle(run_dir: Path, output: Path, *, onnx: bool = True,
                  runtime: str = "torch==2.0.1", runtime_dir: Path | None = None,
                  name: str | None = None, overwrite: bool = False) -> ExportResult:
    """Export a finished run as a model bundle at ``output``.

    Args:
        run_dir: the run folder (``cerulean-train unet|maskrcnn -o RUN``).
        output: the bundle folder (``NAME.bundle``).
        onnx: also write ``model.onnx`` (UNet only).
        runtime: ``torch==X`` (the serving runtime, default 2.0.1) or ``workspace``.
        runtime_dir: where the runtime venvs live (Mask R-CNN).
        name: the model's name (default: the bundle folder's stem).
        overwrite: replace an existing bundle.

    Raises:
        ConfigError, CheckpointError: ``run_dir`` is not a finished run.
        OutputError: ``output`` exists (without ``overwrite``) or cannot be written.
        ExportError: the exported model failed verification.
    """
    run_dir = Path(run_dir)
    folder = RunFolder(run_dir)
    config = read_run_config(run_dir)
    summary = RunSummary.read(run_dir)
    if not folder.weights.is_file():
        raise ExportError(f"{folder.weights}: missing (the run did not finish)")
    output = Path(output)
    if output.exists() and not overwrite:
        raise OutputError(f"{output}: already exists (use --overwrite to replace it)")
    state = RunFolder.load_checkpoint_weights(folder.weights)
    name = name or output.name.removesuffix(BUNDLE_SUFFIX)
    exporter = EXPORTERS.get(config.arch)
    if exporter is None:
        raise ExportError(f"{run_dir}: cannot export arch {config.arch!r}")
    with staged_folder(output, overwrite=overwrite) as staged:
        exported = exporter(ExportRequest(
            run_dir=run_dir, staged=staged, config=config, state=state,
            n_classes=len(summary.classes), tile_size=summary.grid.tile_size,
            onnx=onnx, runtime=runtime, runtime_dir=runtime_dir))
        with atomic_path(staged / WEIGHTS) as tmp:
            torch.save(state, tmp)
        manifest = build_manifest(config, summary, name, exported)
        manifest.write(staged)
        ServingRow.from_manifest(manifest, PRESETS[manifest.postprocess]).write(
            staged / SERVING_ROW)
    for check in exported.checks:
        log.info("%s: %s", output, check)
    return ExportResult(output, manifest, exported.checks)


def build_manifest(config: RunConfig, summary: RunSummary, name: str,
                   exported: ModelExport) -> BundleManifest:
    """The ``bundle.json`` of a run (its config and its ``run.json``)."""
    metrics = {validation_name(k): float(v) for k, v in summary.finite_metrics().items()}
    return BundleManifest(
        name=name, arch=config.arch, backbone=str(getattr(config, "backbone", "")),  # type: ignore[arg-type]
        classes=tuple(summary.classes), category_ids=tuple(summary.category_ids),
        channels=tuple(config.channels), postprocess=f"{config.arch}-serving",
        runtime=exported.runtime, class_preset=config.classes_preset,
        tile_size=summary.grid.tile_size, grid=summary.grid.grid, zoom=summary.grid.zoom,
        has_onnx=exported.has_onnx,
        training={"epochs": summary.epochs, "best_epoch": summary.best_epoch,
                  "seed": config.seed, "train": config.train, "val": config.val,
                  "stopped_early": summary.stopped_early, "config": config.to_dict()},
        metrics=metrics, versions=_versions())


def validation_name(name: str) -> str:
    """The bundle's name for a number the trainer reported: ``val_`` + its own name.

    The trainer's validation numbers come from raw tile outputs on its validation tiles,
    not from the served post-processing; under ``val_*`` names they cannot be taken for
    a serving row's ``pixel_f1`` / ``instance_f1``, which only cerulean-eval measures.
    fastai's ``valid_loss`` becomes ``val_loss``; the training loss keeps its name.
    """
    if name.startswith("val_") or name.startswith("train_"):
        return name
    if name == "valid_loss":
        return "val_loss"
    return f"val_{name}"


def _versions() -> dict[str, str]:
    found = {}
    for dist in VERSIONED:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    found["torch"] = torch.__version__
    return found


__all__ = ["BUNDLE_SUFFIX", "EXPORTERS", "ExportResult", "build_manifest", "export_bundle",
           "validation_name"]
