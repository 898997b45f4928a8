"""Errors raised by cerulean-eval: the tree under :class:`CeruleanEvalError`.

The convention is :mod:`cerulean_tiling.errors`' (each error is also the builtin
exception it is; the package root derives from the shared ``CeruleanError``)::

    CeruleanError
    └── CeruleanEvalError
        ├── PredictionsError (ValueError)     a predictions file or folder is malformed
        │   ├── UnknownImageError (KeyError)  predictions name an image the dataset lacks
        │   ├── ShapeMismatchError            a mask or raster does not have its tile's size
        │   └── EmptyPredictionsError         no prediction at all (allowed with --allow-empty)
        ├── CategoryMismatchError (ValueError)
        │                                     category ids or class names the dataset lacks
        ├── ChannelError (ValueError)         a tile lacks a channel the model needs
        ├── GridMismatchError (ValueError)    a dataset cut on another grid than the model's
        ├── ModelRowError (ValueError)        a serving row an evaluation cannot measure with
        ├── PairingError (ValueError)         two evaluations the gate cannot compare
        ├── ConfigError (ValueError)          an evaluation setting out of range
        ├── OutputError (OSError)             the output folder exists or cannot be written
        ├── RunReadError (OSError)            an evaluation folder (metrics.json) is missing or bad
        └── MissingExtraError (ImportError)   an optional dependency (extra) is not installed

Messages are one line and name the file or value at fault: the CLI prints them as-is.
"""

from __future__ import annotations

from cerulean_tiling import CeruleanError


class CeruleanEvalError(CeruleanError):
    """Root of every error raised by cerulean-eval."""

    def __str__(self) -> str:
        # KeyError quotes its message; every error here reads as the plain sentence.
        return str(self.args[0]) if self.args else ""


class PredictionsError(CeruleanEvalError, ValueError):
    """A predictions file or folder cannot be read as the format it claims."""


class UnknownImageError(PredictionsError, KeyError):
    """Predictions refer to an image (id or tile name) that is not in the dataset."""


class ShapeMismatchError(PredictionsError):
    """A predicted mask or raster does not have the size of its tile."""


class EmptyPredictionsError(PredictionsError):
    """The predictions hold nothing; scoring them needs ``allow_empty``."""


class CategoryMismatchError(CeruleanEvalError, ValueError):
    """Predicted category ids or class names are not among the evaluated classes."""


class ChannelError(CeruleanEvalError, ValueError):
    """A tile does not carry a channel the model reads."""


class GridMismatchError(CeruleanEvalError, ValueError):
    """A dataset's tiles are not the model's lattice tiles (grid, zoom or tile size)."""


class ModelRowError(CeruleanEvalError, ValueError):
    """A serving row lacks what an evaluation measures the model with (its thresholds)."""


class OutputError(CeruleanEvalError, OSError):
    """The output folder exists (without ``overwrite``) or cannot be written."""


class ConfigError(CeruleanEvalError, ValueError):
    """An evaluation setting is out of range or unknown."""


class RunReadError(CeruleanEvalError, OSError):
    """An evaluation folder has no readable ``metrics.json``."""


class PairingError(CeruleanEvalError, ValueError):
    """Two evaluations of other data, scenes, classes or match rule: not comparable."""


class MissingExtraError(CeruleanEvalError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


__all__ = [
    "CategoryMismatchError",
    "CeruleanEvalError",
    "ChannelError",
    "ConfigError",
    "EmptyPredictionsError",
    "GridMismatchError",
    "MissingExtraError",
    "ModelRowError",
    "OutputError",
    "PairingError",
    "PredictionsError",
    "RunReadError",
    "ShapeMismatchError",
    "UnknownImageError",
]
