"""Loading models: TorchScript or ONNX, on CPU or CUDA, once per process.

A loaded model is a :class:`ModelRunner`: it takes a float32 batch and returns what the
model returns (UNet logits; Mask R-CNN detections). Runners are cached by
(path, device, backend, precision), so a service or a dask worker that asks for the
same model twice gets the object it already has.

torch and onnxruntime are imported here, inside functions: importing cerulean_infer
stays cheap for services that only read bundles.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cerulean_infer.errors import BundleError, MissingExtraError, ModelLoadError
from cerulean_infer.weights import load_state_file
from cerulean_tiling.errors import first_line

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

Backend = Literal["torch", "onnx"]
Precision = Literal["auto", "fp32", "fp16", "bf16"]
BACKENDS = ("auto", "torch", "onnx")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")

_CACHE: dict[tuple[str, str, str, str], ModelRunner] = {}
_LOCK = threading.Lock()


@dataclass
class ModelRunner:
    """One loaded model.

    Attributes:
        path: the model file.
        backend: ``torch`` (TorchScript) or ``onnx`` (onnxruntime).
        device: ``cpu`` or ``cuda[:N]``.
        precision: ``fp32``, or the CUDA autocast dtype (``fp16``/``bf16``).
        module: the TorchScript module or the onnxruntime session.
        in_channels: input channels of the model's first convolution (None if unknown).
        is_detector: whether the model is a Mask R-CNN (takes a list, returns detections).
    """

    path: Path
    backend: Backend
    device: str
    precision: str
    module: Any
    in_channels: int | None
    is_detector: bool

    def semantic(self, batch: np.ndarray) -> np.ndarray:
        """UNet forward pass: float32 [B, C, H, W] → float32 softmax [B, K, H, W]."""
        if self.backend == "onnx":
            name = self.module.get_inputs()[0].name
            logits = self.module.run(None, {name: np.ascontiguousarray(batch)})[0]
            return _softmax(np.asarray(logits, dtype=np.float32))
        import torch

        with torch.inference_mode(), self._autocast():
            x = torch.from_numpy(batch).to(self.device)
            probs = torch.softmax(self.module(x).float(), dim=1)
            return probs.cpu().numpy()

    def detect(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Mask R-CNN forward pass: float32 [C, H, W] images → detections per image."""
        import torch

        with torch.inference_mode(), self._autocast(), warnings.catch_warnings():
            # Scripted torchvision detectors warn on every call that they return a
            # (losses, detections) tuple: the serving convention this reads.
            warnings.filterwarnings("ignore", message="RCNN always returns")
            tensors = [torch.from_numpy(im).to(self.device) for im in images]
            out = self.module(tensors)
            detections = out[1] if isinstance(out, tuple | list) and len(out) == 2 \
                and isinstance(out[1], list) else out
            return [{k: v.float().cpu().numpy() if v.is_floating_point() else v.cpu().numpy()
                     for k, v in d.items()} for d in detections]

    def _autocast(self) -> Any:
        import contextlib

        import torch

        if self.backend != "torch" or not self.device.startswith("cuda") \
                or self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast("cuda", dtype=dtype)


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; others are checked.

    Raises:
        BundleError: an unknown device, or CUDA asked for where there is none.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise BundleError(f"device {device!r}: CUDA is not available on this machine")
        return device
    raise BundleError(f"device {device!r} is not auto, cpu or cuda[:N]")


def resolve_precision(precision: str, device: str) -> str:
    """``auto`` → bf16 on CUDA devices that support it, else fp16 on CUDA, fp32 on CPU."""
    if precision not in PRECISIONS:
        raise BundleError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if not device.startswith("cuda"):
        return "fp32"
    if precision != "auto":
        return precision
    import torch

    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def load_model(path: Path, *, backend: Backend, device: str, precision: str = "auto",
               detector: bool) -> ModelRunner:
    """Load (or fetch from the cache) the model at ``path``.

    Args:
        path: ``model.ts`` (TorchScript) or ``model.onnx``.
        backend: which runtime loads it.
        device: ``cpu``/``cuda[:N]`` (already resolved).
        precision: autocast dtype on CUDA (see :func:`resolve_precision`).
        detector: whether the caller expects a Mask R-CNN; a model of the other kind
            is refused.

    Raises:
        ModelLoadError: the file is missing, corrupt or not loadable by the runtime.
        BundleError: the model is of the other architecture.
        MissingExtraError: onnxruntime is not installed.
    """
    resolved = precision if precision != "auto" else resolve_precision(precision, device)
    key = (str(Path(path).resolve()), device, backend, resolved)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if not Path(path).is_file():
            raise ModelLoadError(f"{path}: model file is missing")
        runner = _load_onnx(Path(path), device) if backend == "onnx" \
            else _load_torchscript(Path(path), device, resolved)
        if runner.is_detector != detector:
            found = "a Mask R-CNN" if runner.is_detector else "a semantic (UNet) model"
            wanted = "maskrcnn" if detector else "unet"
            raise BundleError(f"{path}: is {found}, but its description says {wanted}")
        log.info("loaded %s (%s on %s, %s)", path, backend, device, resolved)
        _CACHE[key] = runner
        return runner


def clear_cache() -> None:
    """Forget every loaded model (the next :func:`load_model` loads again)."""
    with _LOCK:
        _CACHE.clear()


def _load_torchscript(path: Path, device: str, precision: str) -> ModelRunner:
    import torch
    import torchvision  # noqa: F401  registers torchvision::nms / roi_align for Mask R-CNN

    try:
        with warnings.catch_warnings():
            # TorchScript is what the serving runtime loads; torch's advice to move to
            # torch.export is not for us, and would print on every model load.
            warnings.filterwarnings("ignore", message=".*torch.jit.load.*deprecated",
                                    category=FutureWarning)
            module = torch.jit.load(str(path), map_location=device)  # type: ignore[no-untyped-call]
    except Exception as exc:  # torch raises RuntimeError/ValueError/zip errors alike
        raise ModelLoadError(f"{path}: not a loadable TorchScript model "
                             f"({first_line(exc)})") from None
    module.eval()
    names = {name for name, _ in module.named_children()}
    return ModelRunner(path, "torch", device, precision, module,
                       _first_conv_channels(module), "roi_heads" in names)


def _load_onnx(path: Path, device: str) -> ModelRunner:
    try:
        import onnxruntime
    except ImportError:
        raise MissingExtraError(
            'the onnx backend needs onnxruntime: pip install "cerulean-infer[onnx]"'
        ) from None
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] \
        if device.startswith("cuda") else ["CPUExecutionProvider"]
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    # The arena keeps the largest batch's activations for the life of the session; a
    # whole-scene run holds the scene raster too, so memory goes back after each batch.
    options.enable_cpu_mem_arena = False
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"{path}: not a loadable ONNX model ({first_line(exc)})") from None
    shape = session.get_inputs()[0].shape
    channels = shape[1] if len(shape) == 4 and isinstance(shape[1], int) else None
    return ModelRunner(path, "onnx", device, "fp32", session, channels, False)


def weights_in_channels(path: Path) -> int | None:
    """Input channels of the first convolution in a ``weights.pt`` state dict.

    Loaded with ``weights_only=True`` (no pickled code runs) and memory-mapped.

    Raises:
        ModelLoadError: the file is not a loadable state dict.
    """
    state = load_state_file(path, mmap=True)
    if not isinstance(state, dict):
        raise ModelLoadError(f"{path}: holds a {type(state).__name__}, not a state dict")
    for value in state.values():
        if hasattr(value, "ndim") and value.ndim == 4:
            return int(value.shape[1])
    return None


def _first_conv_channels(module: torch.nn.Module) -> int | None:
    for _, param in module.named_parameters():
        if param.ndim == 4:
            return int(param.shape[1])
    return None


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    out: np.ndarray = shifted
    return out


__all__ = ["BACKENDS", "PRECISIONS", "Backend", "ModelRunner", "Precision", "clear_cache",
           "load_model", "resolve_device", "resolve_precision", "weights_in_channels"]
