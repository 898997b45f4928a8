"""Errors raised by cerulean-infer: the tree under :class:`CeruleanInferError`.

The convention is :mod:`cerulean_tiling.errors`' (each error is also the builtin
exception it is; the package root derives from the shared ``CeruleanError``)::

    CeruleanError
    └── CeruleanInferError
        ├── BundleError (ValueError)         a bundle or serving model row is missing, malformed,
        │                                    of another format version, or contradicts itself
        ├── ModelLoadError (OSError)         model.ts / model.onnx / weights.pt cannot be loaded
        ├── ChannelMismatchError (ValueError) the inputs do not carry the channels the model wants
        ├── SceneError (ValueError)          a scene cannot be read or georeferenced for inference
        ├── OutputError (OSError)            an output exists or cannot be written
        ├── PredictionsError (ValueError)    a predictions GeoJSON file is missing or malformed
        └── MissingExtraError (ImportError)  an optional dependency (extra) is not installed

Messages are one line and name the file or value at fault: the CLI prints them as-is.
"""

from __future__ import annotations

from cerulean_tiling import CeruleanError


class CeruleanInferError(CeruleanError):
    """Root of every error raised by cerulean-infer."""


class BundleError(CeruleanInferError, ValueError):
    """A bundle or serving model row is missing, malformed or inconsistent."""


class ModelLoadError(CeruleanInferError, OSError):
    """A model file exists but cannot be loaded (corrupt TorchScript, bad ONNX, bad weights)."""


class ChannelMismatchError(CeruleanInferError, ValueError):
    """The input does not carry the channels the model was trained on."""


class SceneError(CeruleanInferError, ValueError):
    """A scene cannot be read or georeferenced for inference."""


class OutputError(CeruleanInferError, OSError):
    """An output exists (without overwrite) or cannot be written."""


class PredictionsError(CeruleanInferError, ValueError):
    """A predictions GeoJSON file cannot be read or does not hold slick features."""


class MissingExtraError(CeruleanInferError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


__all__ = [
    "BundleError",
    "CeruleanInferError",
    "ChannelMismatchError",
    "MissingExtraError",
    "ModelLoadError",
    "OutputError",
    "PredictionsError",
    "SceneError",
]
