"""What a model is, read without loading it: a bundle, or a production file and its row.

``--bundle PATH [--model-row ROW.json]`` names a model two ways: a bundle folder (its
``bundle.json``, and the serving row it ships or the one given), or a bare TorchScript file
the service runs with its database row. :func:`describe_model` reads either from the JSON
files alone (no torch), so a command can refuse a contradiction — a row for another
architecture, a row whose ``cls_map`` has another number of classes than the model —
before it loads a model or reads any data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cerulean_infer.bundle import SERVING_ROW, BundleManifest
from cerulean_infer.errors import BundleError
from cerulean_infer.presets import PostprocessPreset, preset
from cerulean_infer.serving_row import ServingRow

if TYPE_CHECKING:
    from cerulean_infer.predictor import Predictor

ModelKind = Literal["bundle", "serving"]


@dataclass(frozen=True)
class ModelDescription:
    """A model as its files describe it.

    Attributes:
        source: the bundle folder or the model file.
        kind: ``bundle`` (a cerulean-train bundle) or ``serving`` (a file and its row).
        manifest: the bundle's ``bundle.json``, or the one the row implies.
        row: the serving row: the one given, else the bundle's own
            ``cerulean-cloud-model.json`` (None when a bundle ships none).
        row_path: where the row was read from.
    """

    source: Path
    kind: ModelKind
    manifest: BundleManifest
    row: ServingRow | None
    row_path: Path | None

    def preset(self, postprocess: str | None = None,
               thresholds: dict[str, float] | None = None) -> PostprocessPreset:
        """The thresholds the model is served with, then ``postprocess`` and ``thresholds``.

        The base is ``postprocess`` when given, else the bundle's preset (a serving row's
        architecture default); the row's thresholds apply on top, then ``thresholds``.

        Raises:
            BundleError: an unknown preset or threshold name, or a preset of the other
                architecture.
        """
        chosen = preset(postprocess or self.manifest.postprocess)
        if chosen.arch != self.manifest.arch:
            raise BundleError(f"{self.source}: preset {chosen.name!r} is for {chosen.arch}, "
                              f"the model is a {self.manifest.arch}")
        if self.row is not None:
            known = set(vars(chosen)) - {"name", "arch"}
            chosen = chosen.override(**{k: v for k, v in self.row.thresholds.items()
                                        if k in known})
        return chosen.override(**(thresholds or {}))

    def load(self, device: str = "auto", backend: str = "auto") -> Predictor:
        """Load the model (torch, or onnxruntime for a bundle's ``model.onnx``).

        The predictor's preset is the bundle's (or the row's); use :meth:`preset` for the
        thresholds a run applies.
        """
        from cerulean_infer.predictor import Predictor

        if self.kind == "serving":
            assert self.row is not None
            return Predictor.from_serving(self.source, self.row, device=device)
        return Predictor.from_bundle(self.source, device=device, backend=backend,
                                     model_row=self.row)


def describe_model(bundle: Path | str, model_row: Path | str | None = None) -> ModelDescription:
    """Describe ``--bundle`` (a bundle folder or a model file) with ``--model-row``.

    Raises:
        BundleError: not a bundle, a model file without a row, an unreadable row, or a
            row that contradicts the bundle (architecture, number of classes).
    """
    source = Path(bundle)
    row_path = Path(model_row) if model_row is not None else None
    if source.is_file():
        if row_path is None:
            raise BundleError(f"{source}: a bare model file needs --model-row ROW.json")
        served = ServingRow.read(row_path)
        return ModelDescription(source, "serving", served.to_manifest(source.stem), served,
                                row_path)
    manifest = BundleManifest.read(source)
    if row_path is None and (source / SERVING_ROW).is_file():
        row_path = source / SERVING_ROW
    row = ServingRow.read(row_path) if row_path is not None else None
    if row is not None:
        if row.arch != manifest.arch:
            raise BundleError(f"{row_path}: type {row.type} does not match the bundle's arch "
                              f"{manifest.arch}")
        if len(row.cls_map) != len(manifest.classes):
            raise BundleError(f"{row_path}: cls_map names {len(row.cls_map)} classes, the "
                              f"model {source} has {len(manifest.classes)} "
                              f"({', '.join(manifest.classes)})")
    return ModelDescription(source, "bundle", manifest, row, row_path)


__all__ = ["ModelDescription", "ModelKind", "describe_model"]
