"""Errors raised by cerulean-train: the tree under :class:`CeruleanTrainError`.

The convention is :mod:`cerulean_tiling.errors`' (each error is also the builtin
exception it is; the package root derives from the shared ``CeruleanError``)::

    CeruleanError
    └── CeruleanTrainError
        ├── ConfigError (ValueError)          a config file or flag is malformed, unknown, out of
        │                                     range
        ├── DatasetError (ValueError)         a training/validation dataset is empty or unusable
        │   └── ChannelError                  the dataset lacks a channel the run asks for
        ├── BackboneError (ValueError)        an unknown backbone, or weights that do not fit it
        ├── CheckpointError (OSError)         a run folder or checkpoint is missing or unreadable
        ├── ExportError (RuntimeError)        a bundle could not be exported or failed verification
        ├── RuntimeEnvError (OSError)         the serving-runtime venv cannot be created or run
        ├── OutputError (OSError)             an output exists (without overwrite) or cannot be
        │                                     written
        └── MissingExtraError (ImportError)   an optional dependency is not installed

Messages are one line and name the file or value at fault: the CLI prints them as-is.
"""

from __future__ import annotations

from cerulean_tiling import CeruleanError


class CeruleanTrainError(CeruleanError):
    """Root of every error raised by cerulean-train."""


class ConfigError(CeruleanTrainError, ValueError):
    """A config file or flag is malformed, names an unknown key, or is out of range."""


class DatasetError(CeruleanTrainError, ValueError):
    """A dataset is empty, unreadable for training, or inconsistent with the run."""


class ChannelError(DatasetError):
    """The dataset's tiles do not carry a channel the run asks for."""


class BackboneError(CeruleanTrainError, ValueError):
    """An unknown backbone name, or weights that do not fit the backbone."""


class CheckpointError(CeruleanTrainError, OSError):
    """A run folder or checkpoint is missing, unreadable, or from another run."""


class ExportError(CeruleanTrainError, RuntimeError):
    """Exporting a bundle failed, or the exported model did not match the eager one."""


class RuntimeEnvError(CeruleanTrainError, OSError):
    """The serving-runtime virtual environment cannot be created or run."""


class OutputError(CeruleanTrainError, OSError):
    """An output exists (without overwrite) or cannot be written."""


class MissingExtraError(CeruleanTrainError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


__all__ = [
    "BackboneError",
    "CeruleanTrainError",
    "ChannelError",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "ExportError",
    "MissingExtraError",
    "OutputError",
    "RuntimeEnvError",
]
