"""Errors raised by cerulean-tiling, and the root every Cerulean package's errors share.

:class:`CeruleanError` is the root of all five packages' trees: each package has its own
root beneath it (``CeruleanTilingError`` here, ``CeruleanCocoError``,
``CeruleanInferError``, ``CeruleanTrainError``, ``CeruleanEvalError`` in theirs), so a
caller catches one package's errors by its root, and the command-line runner catches
every package's with this one.

Every error of this package derives from :class:`CeruleanTilingError`, and also from the
builtin exception it is, so callers can catch either::

    CeruleanError
    └── CeruleanTilingError
        ├── SceneReadError (OSError)        a scene file is missing, unreadable or malformed
        │   └── LayerSizeError (ValueError) a layer's size differs from Background.png
        ├── SceneIdError (ValueError)       a scene id that does not follow the S1 naming
        ├── LayerColourError (ValueError)   a layer carries no class colour and no class name
        ├── GCPError (ValueError)           too few GCPs, or GCPs that do not cover the image
        ├── ClassNameError (KeyError)       an unknown class name or remap
        ├── AuxChannelError (ValueError)    an auxiliary channel spec or source is unusable
        │   └── ChannelError                an unknown channel name, or a tile lacking a channel
        ├── GridError (ValueError)          an unusable grid specification
        ├── ConfigError (ValueError)        a settings file or value that cannot be used
        ├── SearchQueryError (ValueError)   a scene search that cannot be asked (bbox, dates)
        ├── UnsafePathError (ValueError)    a path named by data leads outside its folder
        ├── FileNameError (ValueError)      a file or folder name on disk is not valid UTF-8
        ├── OutputError (OSError)           outputs exist, or the output cannot be written
        ├── TileReadError (OSError)         a dataset tile cannot be read
        ├── TilingRunError (RuntimeError)   scenes of a tiling run failed (the others are kept)
        ├── JSONValueError (ValueError)     a value JSON cannot hold (NaN, infinity, non-UTF-8)
        ├── JSONReadError (OSError)         a JSON file that cannot be read, is not UTF-8 or
        │                                   not JSON, or is not the document asked for
        ├── FetchError (OSError)            searching or downloading scenes failed
        │   ├── FetchAuthError (PermissionError)    credentials missing or refused
        │   ├── S3LocationError (ValueError)        not an s3://bucket/key location
        │   └── SceneNotFoundError (FileNotFoundError)  no such scene, object or asset
        └── MissingExtraError (ImportError) an optional extra (e.g. ``fetch``) is not installed

Messages are one line and name the file or value at fault: the CLI prints them as-is.
"""

from __future__ import annotations


class CeruleanError(Exception):
    """Root of every error raised by a Cerulean package (each package's root derives from it)."""


class CeruleanTilingError(CeruleanError):
    """Root of every error raised by cerulean-tiling."""


class SceneReadError(CeruleanTilingError, OSError):
    """A scene file is missing, truncated, not a PNG, or otherwise unreadable."""


class LayerSizeError(SceneReadError, ValueError):
    """A layer PNG does not have the size of the scene's Background.png."""


class SceneIdError(CeruleanTilingError, ValueError):
    """A scene id does not follow the Sentinel-1 product naming convention."""


class LayerColourError(CeruleanTilingError, ValueError):
    """A layer has no class colour and its file name names no class."""


class GCPError(CeruleanTilingError, ValueError):
    """GCPs are too few, malformed, or do not cover the image they georeference."""


class ClassNameError(CeruleanTilingError, KeyError):
    """An unknown class name, id or remap target."""

    def __str__(self) -> str:
        # KeyError.__str__ quotes its argument; our messages are sentences.
        return str(self.args[0]) if self.args else ""


class AuxChannelError(CeruleanTilingError, ValueError):
    """An auxiliary channel spec is malformed or its source cannot be used."""


class ChannelError(AuxChannelError):
    """A channel name that is not known (or a constant value outside 0–255), or a tile
    that does not carry a channel asked for."""


class GridError(CeruleanTilingError, ValueError):
    """A tile grid specification is unusable (size, overlap, zoom)."""


class ConfigError(CeruleanTilingError, ValueError):
    """A settings file or value cannot be used: syntax, unknown key, wrong type or range.

    The message names the file (when there is one) and the key.
    """


class SearchQueryError(CeruleanTilingError, ValueError):
    """A scene search cannot be asked: an empty bbox or time range, no results wanted."""


class UnsafePathError(CeruleanTilingError, ValueError):
    """A path read from data (a COCO ``file_name``, a scene id used as a folder name, a
    manifest entry) is absolute, climbs with ``..`` or leads out through a link."""


class FileNameError(CeruleanTilingError, ValueError):
    """A file or folder name on disk is not valid UTF-8.

    Such a name cannot be written into JSON, a GeoTIFF tag or a message as it is, nor
    handed to GDAL; it is refused (the message shows the odd bytes as ``\\xNN``) rather
    than guessed at, so the annotator can rename the file.
    """


class OutputError(CeruleanTilingError, OSError):
    """Outputs already exist (without overwrite) or cannot be written."""


class TileReadError(CeruleanTilingError, OSError):
    """A dataset tile cannot be opened or read."""


class TilingRunError(CeruleanTilingError, RuntimeError):
    """Scenes of a ``tile`` run failed; the message names the first, the others are kept."""


class JSONValueError(CeruleanTilingError, ValueError):
    """A value that JSON cannot hold was about to be written: NaN, infinity, or text that
    is not valid UTF-8. The message names the file and the key; nothing is written."""


class JSONReadError(CeruleanTilingError, OSError):
    """A JSON or GeoJSON file cannot be read, is not UTF-8 text or not valid JSON, or is not
    the document asked for (an object, a FeatureCollection). The message names the file
    and what it was meant to be. Other packages' readers raise their own classes instead
    (``cerulean_tiling.read_json(..., error=...)``)."""


class FetchError(CeruleanTilingError, OSError):
    """Searching, downloading or remotely reading scenes failed."""


class FetchAuthError(FetchError, PermissionError):
    """A catalogue, download server or bucket refused our credentials (or we had none)."""


class S3LocationError(FetchError, ValueError):
    """A location that should be ``s3://bucket/key`` is not."""


class SceneNotFoundError(FetchError, FileNotFoundError):
    """A scene id, remote object or asset does not exist where it was looked for."""


class MissingExtraError(CeruleanTilingError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


def first_line(exc: BaseException, default: str | None = None) -> str:
    """The first line of another library's exception message, for a one-line error
    (``default``, else the exception's type name, when the message is empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else (default or type(exc).__name__)


__all__ = [
    "AuxChannelError",
    "CeruleanError",
    "CeruleanTilingError",
    "ChannelError",
    "ClassNameError",
    "ConfigError",
    "FetchAuthError",
    "FetchError",
    "FileNameError",
    "GCPError",
    "GridError",
    "JSONReadError",
    "JSONValueError",
    "LayerColourError",
    "LayerSizeError",
    "MissingExtraError",
    "OutputError",
    "S3LocationError",
    "SceneIdError",
    "SceneNotFoundError",
    "SceneReadError",
    "SearchQueryError",
    "TileReadError",
    "TilingRunError",
    "UnsafePathError",
    "first_line",
]
