"""The Predictor: one loaded model with its description, run on batches of tiles.

::

    p = Predictor.from_bundle("unet.bundle")                 # a cerulean-train bundle
    p = Predictor.from_serving("model.pt", "row.json")       # a production model + its row
    preds = p.predict_tiles(batch)                           # uint8 [B, C, H, W]
    result = predict_scene(p, "S1A_....tif")                 # slicks in lon/lat

(:func:`cerulean_infer.scene.predict_scene` runs a whole scene: it stands a layer above
the predictor, which knows nothing of scenes.)

Tiles go in as uint8 with channels in ``p.manifest.channels`` order, exactly what
cerulean-tiling writes; the input scaling of the bundle is applied here, so callers never
repeat it. Models are loaded once per process (see :mod:`cerulean_infer.loading`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cerulean_infer.bundle import (
    MODEL_ONNX,
    MODEL_TS,
    WEIGHTS,
    BundleManifest,
)
from cerulean_infer.errors import BundleError, ChannelMismatchError
from cerulean_infer.loading import (
    BACKENDS,
    ModelRunner,
    load_model,
    resolve_device,
    resolve_precision,
    weights_in_channels,
)
from cerulean_infer.presets import PostprocessPreset, preset
from cerulean_infer.records import InstancePrediction, TilePredictions
from cerulean_infer.serving_row import ServingRow

log = logging.getLogger(__name__)


@dataclass
class Predictor:
    """A model ready to predict, with the manifest and preset that say how.

    Build with :meth:`from_bundle` or :meth:`from_serving`.

    Attributes:
        manifest: the bundle's description (synthesised from the row for serving models).
        preset: the post-processing thresholds to use.
        runner: the loaded model.
        source: the bundle folder or the serving model file.
        serving_row: the service's model row, when there is one.
    """

    manifest: BundleManifest
    preset: PostprocessPreset
    runner: ModelRunner
    source: Path
    serving_row: ServingRow | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_bundle(cls, path: Path | str, device: str = "auto", backend: str = "auto",
                    precision: str = "auto", postprocess: str | None = None,
                    model_row: ServingRow | Path | str | None = None) -> Predictor:
        """Load a cerulean-train bundle.

        Args:
            path: the ``<name>.bundle`` folder.
            device: ``auto`` (CUDA when available), ``cpu`` or ``cuda[:N]``.
            backend: ``auto`` (ONNX when the bundle ships ``model.onnx`` and runs on CPU,
                else TorchScript), ``torch`` or ``onnx``.
            precision: CUDA autocast dtype: ``auto``, ``fp32``, ``fp16``, ``bf16``.
            postprocess: a preset name replacing the bundle's.
            model_row: a serving row whose thresholds replace the preset's (the bundle's
                own ``cerulean-cloud-model.json`` is not applied unless given here).

        Raises:
            BundleError: not a bundle, wrong format version, a missing file, a
                contradiction between bundle.json, the weights and the model.
            ChannelMismatchError: the model's first layer does not take the bundle's
                channels.
            ModelLoadError: a corrupt model.ts/model.onnx/weights.pt.
        """
        folder = Path(path)
        manifest = BundleManifest.read(folder)
        for name in (MODEL_TS, WEIGHTS):
            if not (folder / name).is_file():
                raise BundleError(f"{folder / name}: missing from the bundle")
        if manifest.has_onnx and not (folder / MODEL_ONNX).is_file():
            raise BundleError(f"{folder / MODEL_ONNX}: missing (bundle.json says has_onnx)")
        if backend not in BACKENDS:
            raise BundleError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        resolved_device = resolve_device(device)
        if backend == "auto":
            backend = "onnx" if manifest.has_onnx and resolved_device == "cpu" \
                and _has_onnxruntime() else "torch"
        if backend == "onnx" and not (folder / MODEL_ONNX).is_file():
            raise BundleError(f"{folder}: --backend onnx but the bundle has no {MODEL_ONNX}")
        weight_channels = weights_in_channels(folder / WEIGHTS)
        _check_channels(manifest, weight_channels, folder / WEIGHTS)
        model_file = folder / (MODEL_ONNX if backend == "onnx" else MODEL_TS)
        runner = load_model(model_file, backend=backend,  # type: ignore[arg-type]
                            device=resolved_device,
                            precision=resolve_precision(precision, resolved_device),
                            detector=manifest.arch == "maskrcnn")
        _check_channels(manifest, runner.in_channels, model_file)
        chosen = preset(postprocess or manifest.postprocess)
        row = ServingRow.read(model_row) if isinstance(model_row, str | Path) else model_row
        if row is not None:
            if row.arch != manifest.arch:
                raise BundleError(f"model row {row.name or row.file_path}: type {row.type} "
                                  f"does not match the bundle's arch {manifest.arch}")
            chosen = _with_row_thresholds(chosen, row)
        _check_preset(chosen, manifest, folder)
        return cls(manifest, chosen, runner, folder, row)

    @classmethod
    def from_serving(cls, model_path: Path | str, row: ServingRow | Path | str,
                     device: str = "auto", precision: str = "auto",
                     postprocess: str | None = None) -> Predictor:
        """Load a bare production model: a TorchScript file plus its database row.

        Args:
            model_path: the TorchScript file the row's ``file_path`` points to.
            row: the row, or a path to its JSON (``cerulean-cloud-model.json``).
            device, precision: as for :meth:`from_bundle`.
            postprocess: a preset name replacing the row's architecture default (the
                row's thresholds still apply on top).

        Raises:
            BundleError: a malformed row, or a row for another architecture than the model.
            ChannelMismatchError: the model does not take the row's layers.
            ModelLoadError: a corrupt model file.
        """
        row = row if isinstance(row, ServingRow) else ServingRow.read(row)
        manifest = row.to_manifest(Path(model_path).stem)
        resolved_device = resolve_device(device)
        runner = load_model(Path(model_path), backend="torch", device=resolved_device,
                            precision=resolve_precision(precision, resolved_device),
                            detector=manifest.arch == "maskrcnn")
        _check_channels(manifest, runner.in_channels, Path(model_path))
        chosen = _with_row_thresholds(preset(postprocess) if postprocess
                                      else row.to_preset(), row)
        _check_preset(chosen, manifest, Path(model_path))
        return cls(manifest, chosen, runner, Path(model_path), row)

    @property
    def device(self) -> str:
        return self.runner.device

    @property
    def batch_size(self) -> int:
        """Tiles per model call when a run does not say: 8 on CUDA, 1 on CPU.

        On CPU a bigger batch is no faster (UNet-ResNet34 on 512-px tiles, 2 threads:
        0.42 / 0.43 / 0.39 tiles/s at batch 1 / 2 / 4 with ONNX) but holds its
        activations at once: each tile adds about 300 MB (ONNX) to 400 MB (torch) to
        the peak.
        """
        return 8 if self.device.startswith("cuda") else 1

    @property
    def backend(self) -> str:
        return self.runner.backend

    @property
    def arch(self) -> str:
        return self.manifest.arch

    def predict_tiles(self, batch: np.ndarray) -> TilePredictions:
        """Run the model on a batch of tiles.

        Args:
            batch: uint8 [B, C, H, W], channels in ``manifest.channels`` order.

        Raises:
            ChannelMismatchError: the batch does not have the model's channel count.
            BundleError: a UNet returns another number of classes than its description
                (a serving row whose ``cls_map`` does not fit the model).
            SceneError: the batch is not a uint8 4-D array.
        """
        from cerulean_infer.errors import SceneError

        if batch.ndim != 4 or batch.dtype != np.uint8:
            raise SceneError(f"tiles must be uint8 [B, C, H, W], got {batch.dtype} "
                             f"{list(batch.shape)}")
        if batch.shape[1] != len(self.manifest.channels):
            raise ChannelMismatchError(
                f"tiles have {batch.shape[1]} channels, the model takes "
                f"{len(self.manifest.channels)} ({', '.join(self.manifest.channels)})")
        scaled = batch.astype(np.float32)
        scaled *= np.float32(self.manifest.input_scale)
        if self.manifest.arch == "unet":
            probs = self.runner.semantic(scaled)
            if probs.shape[1] != len(self.manifest.classes):
                raise BundleError(
                    f"{self.source}: the model returns {probs.shape[1]} classes, its "
                    f"description names {len(self.manifest.classes)} "
                    f"({', '.join(self.manifest.classes)})")
            probs[:, 1:] *= (batch[:, :1] != 0)
            return TilePredictions(probabilities=probs)
        detections = self.runner.detect(list(scaled))
        return TilePredictions(instances=[_instances(d) for d in detections])

    def describe(self) -> dict[str, Any]:
        """What ran: model, backend, device, precision and preset (for settings files)."""
        return {
            "model": self.manifest.name, "source": str(self.source), "arch": self.arch,
            "backend": self.backend, "device": self.device,
            "precision": self.runner.precision, "zoom": self.manifest.zoom,
            "tile_size": self.manifest.tile_size, "channels": list(self.manifest.channels),
            "classes": list(self.manifest.classes),
            "preset": {k: v for k, v in vars(self.preset).items()},
        }


def _instances(detection: dict[str, np.ndarray]) -> list[InstancePrediction]:
    masks = detection["masks"]
    if masks.ndim == 4:
        masks = masks[:, 0]
    return [
        InstancePrediction(label=int(label), score=float(score),
                           box=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
                           mask=np.ascontiguousarray(mask, dtype=np.float32))
        for label, score, b, mask in zip(detection["labels"], detection["scores"],
                                         detection["boxes"], masks, strict=True)
    ]


def _check_channels(manifest: BundleManifest, found: int | None, where: Path) -> None:
    if found is not None and found != len(manifest.channels):
        raise ChannelMismatchError(
            f"{where}: the model's first layer takes {found} channels, but the description "
            f"names {len(manifest.channels)} ({', '.join(manifest.channels)})")


def _check_preset(chosen: PostprocessPreset, manifest: BundleManifest, where: Path) -> None:
    if chosen.arch != manifest.arch:
        raise BundleError(f"{where}: preset {chosen.name!r} is for {chosen.arch}, the model "
                          f"is a {manifest.arch}")


def _with_row_thresholds(chosen: PostprocessPreset, row: ServingRow) -> PostprocessPreset:
    known = set(vars(chosen)) - {"name", "arch"}
    return chosen.override(**{k: v for k, v in row.thresholds.items() if k in known})


def _has_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


__all__ = ["Predictor"]
