"""Errors raised by cerulean-coco: the tree under :class:`CeruleanCocoError`.

The convention is :mod:`cerulean_tiling.errors`' (each error is also the builtin
exception it is; the package root derives from the shared ``CeruleanError``)::

    CeruleanError
    └── CeruleanCocoError
        ├── DatasetReadError (OSError)       annotations.json or manifest.json missing or malformed
        ├── DatasetInvalidError (ValueError) validate found problems (the message counts them)
        ├── RecordFormatError (ValueError)   a record (image, annotation, part, RLE) breaks its
        │                                    schema
        ├── ClusterError (ValueError)        an unusable cluster request (e.g. zero workers)
        ├── ParameterMismatchError (ValueError)
        │                                    an existing dataset was built with other parameters
        ├── ClassPolicyError (ValueError)    an unknown class name, a bad remap or preset use
        ├── SplitError (ValueError)          unusable split fractions or too few scenes
        ├── MergeConflictError (ValueError)  datasets that cannot be merged as asked
        ├── NegativesError (ValueError)      more negatives asked for than the build recorded
        ├── OutputError (OSError)            an output exists (without overwrite) or cannot be
        │                                    written
        ├── BuildIncompleteError (RuntimeError)
        │                                    some scenes failed; the dataset holds the others
        ├── MissingExtraError (ImportError)  an optional dependency (extra) is not installed
        └── TransferError (OSError)          push/pull to S3 failed (after retries)
            ├── TransferAuthError (PermissionError)  credentials missing or refused
            └── RemoteNotFoundError (FileNotFoundError)  no such bucket or prefix

Messages are one line and name the file or value at fault: the CLI prints them as-is.
"""

from __future__ import annotations

from cerulean_tiling import CeruleanError


class CeruleanCocoError(CeruleanError):
    """Root of every error raised by cerulean-coco."""


class DatasetReadError(CeruleanCocoError, OSError):
    """A dataset file is missing, is not JSON, or does not follow the expected schema."""


class DatasetInvalidError(CeruleanCocoError, ValueError):
    """A dataset failed validation; the problems are listed before this is raised."""


class RecordFormatError(CeruleanCocoError, ValueError):
    """A record (image, annotation, scene part, RLE mask) does not follow its schema."""


class ClusterError(CeruleanCocoError, ValueError):
    """A dask cluster cannot be set up as asked (e.g. fewer than one worker)."""


class ParameterMismatchError(CeruleanCocoError, ValueError):
    """A build would mix parameters with those an existing dataset was built with."""


class ClassPolicyError(CeruleanCocoError, ValueError):
    """An unknown class name, a malformed remap, or a preset that does not apply."""


class SplitError(CeruleanCocoError, ValueError):
    """Split fractions are out of range, or a split cannot be made from the scenes."""


class MergeConflictError(CeruleanCocoError, ValueError):
    """Datasets disagree (duplicate images, categories, parameters) in a way not resolved."""


class NegativesError(CeruleanCocoError, ValueError):
    """Negative tiles were asked for that the build did not record."""


class OutputError(CeruleanCocoError, OSError):
    """An output already exists (without overwrite) or cannot be written."""


class BuildIncompleteError(CeruleanCocoError, RuntimeError):
    """Some scenes failed to build; the dataset was written from the others."""


class MissingExtraError(CeruleanCocoError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class TransferError(CeruleanCocoError, OSError):
    """Pushing or pulling a dataset to or from S3 failed (network, server, checksum)."""


class TransferAuthError(TransferError, PermissionError):
    """S3 refused the credentials, or there were none."""


class RemoteNotFoundError(TransferError, FileNotFoundError):
    """The bucket does not exist, or the prefix holds no dataset."""


__all__ = [
    "BuildIncompleteError",
    "CeruleanCocoError",
    "ClassPolicyError",
    "ClusterError",
    "DatasetInvalidError",
    "DatasetReadError",
    "MergeConflictError",
    "MissingExtraError",
    "NegativesError",
    "OutputError",
    "ParameterMismatchError",
    "RecordFormatError",
    "RemoteNotFoundError",
    "SplitError",
    "TransferAuthError",
    "TransferError",
]
