"""Exporting a UNet: ``model.ts`` traced on ``[B, C, 512, 512]``, optionally ``model.onnx``.

(512 is the serving tile; a run trained on tiles of another size is traced at that size.)

The traced module is the fastai ``DynamicUnet`` in eval mode on the CPU: float input
``[B, C, H, W]`` (uint8 tile / 255, the run's channels in order) → logits
``[B, classes, H, W]``; the serving service applies softmax. Tracing records the
operators for the tile size it saw, which is the serving tile size; the batch size
stays free. A trace made by this torch loads in the serving runtime (torch 2.0.1) as it
is. Before anything is kept, both files are checked against the eager model on sample
tiles (:func:`~cerulean_train.export.samples.sample_tiles`: the run's validation tiles,
or seeded noise with a warning when that dataset is gone): TorchScript to float
rounding, ONNX (legacy exporter, dynamic batch) through onnxruntime within a small
tolerance. When the serving-runtime venv exists
(``cerulean-train runtime ensure``), ``model.ts`` is also loaded and run there, and the
bundle's runtime record names that runtime; without the venv the record names this
torch and a warning says the serving-runtime check did not run (tracing needs no venv,
so none is created for it).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import nn

from cerulean_infer import Runtime
from cerulean_train.errors import ExportError, MissingExtraError
from cerulean_train.export.records import ExportRequest, ModelExport
from cerulean_train.export.samples import sample_tiles
from cerulean_train.runtime import RuntimeTarget, verify_unet
from cerulean_train.statedict import load_fitting
from cerulean_train.unet.backbones import build_unet
from cerulean_train.unet.config import UNetConfig

log = logging.getLogger(__name__)

MODEL_TS = "model.ts"
MODEL_ONNX = "model.onnx"
TRACE_SIZE = 512
SAMPLES = 2
"""Tiles the exported model is compared with the eager one on."""
TS_TOLERANCE = 1e-4
ONNX_TOLERANCE = 1e-3


def eager_unet(config: UNetConfig, state: dict[str, torch.Tensor], n_classes: int,
               tile_size: int = TRACE_SIZE, source: object = "weights") -> nn.Module:
    """The trained UNet as an eager CPU module in eval mode.

    Raises:
        ExportError: ``state`` (read from ``source``) does not fit the run's UNet; the
            message names the first key at fault.
    """
    model = build_unet(config.backbone, len(config.channels), n_classes, img_size=tile_size)
    load_fitting(model, state, source, f"a {config.backbone} UNet with {n_classes} classes",
                 ExportError)
    return model.eval().cpu()


def export_unet(request: ExportRequest) -> ModelExport:
    """Trace (and with ``request.onnx``, ONNX-export) the run's weights into the staged
    bundle, verified on ``[B, C, tile_size, tile_size]`` inputs, and in the request's
    runtime when its venv exists.

    Raises:
        ExportError: the run is not a UNet run, the weights do not fit, tracing failed,
            or an exported model disagrees with the eager one (here or in the runtime
            venv).
        MissingExtraError: ``onnx`` without onnx/onnxruntime installed.
    """
    config = request.config
    if not isinstance(config, UNetConfig):
        raise ExportError(f"{request.run_dir}: a {config.arch} run, not a UNet one")
    staged, runtime = request.staged, request.runtime
    model = eager_unet(config, request.state, request.n_classes, request.tile_size,
                       request.weights)
    inputs = sample_tiles(config, SAMPLES, request.tile_size)
    with torch.no_grad():
        expected = model(inputs)
        example = inputs[:1].repeat(2, 1, 1, 1)
        traced = torch.jit.trace(model, example, check_trace=False)  # type: ignore[no-untyped-call]
    ts_path = staged / MODEL_TS
    traced.save(str(ts_path))
    loaded = torch.jit.load(str(ts_path), map_location="cpu")  # type: ignore[no-untyped-call]
    with torch.no_grad():
        got = loaded(inputs)
    ts_diff = float((got - expected).abs().max())
    if got.shape != expected.shape or ts_diff > TS_TOLERANCE:
        raise ExportError(f"{ts_path.name}: differs from the eager model on sample tiles "
                          f"(max |diff| {ts_diff:.3g} > {TS_TOLERANCE})")
    checks = [f"{MODEL_TS} == eager on {len(inputs)} tiles: max |diff| {ts_diff:.2g}"]
    if request.onnx:
        onnx_diff = _export_onnx(model, example, inputs, expected, staged / MODEL_ONNX)
        checks.append(f"{MODEL_ONNX} (onnxruntime) == eager: max |diff| {onnx_diff:.2g}")
    record = Runtime(torch=torch.__version__.split("+")[0],
                     torchvision=torchvision.__version__.split("+")[0], verified=True)
    target = RuntimeTarget.parse(runtime)
    if target.torch is not None:
        env = verify_unet(ts_path, inputs, expected, runtime=runtime,
                          runtime_dir=request.runtime_dir)
        if env is None:
            log.warning("%s: not checked in %s (no venv for it: cerulean-train runtime "
                        "ensure creates one)", ts_path.name, target)
        else:
            record = Runtime(torch=env.torch, torchvision=env.torchvision, verified=True)
            checks.append(f"{MODEL_TS} loads in torch {env.torch} and == eager there")
    return ModelExport(runtime=record, has_onnx=request.onnx, checks=tuple(checks))


def _export_onnx(model: nn.Module, example: torch.Tensor, inputs: torch.Tensor,
                 expected: torch.Tensor, path: Path) -> float:
    try:
        import onnxruntime
    except ImportError:
        raise MissingExtraError('--onnx needs onnx and onnxruntime: pip install '
                                '"cerulean-train[onnx]" (or pass --no-onnx)') from None
    # The legacy (TorchScript-based) exporter is the one that handles fastai's DynamicUnet
    # with a dynamic batch; torch warns that it is no longer the default.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=17,
                          input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"image": inputs.numpy()})[0]
    diff = float(np.abs(got - expected.numpy()).max())
    if got.shape != tuple(expected.shape) or diff > ONNX_TOLERANCE:
        raise ExportError(f"{path.name}: onnxruntime differs from the eager model on sample "
                          f"tiles (max |diff| {diff:.3g} > {ONNX_TOLERANCE})")
    return diff


__all__ = ["MODEL_ONNX", "MODEL_TS", "SAMPLES", "eager_unet", "export_unet"]
