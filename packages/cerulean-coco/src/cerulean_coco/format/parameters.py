"""Build parameters: what a dataset was built with, and a rebuild must match.

They are the tiling settings plus the format of the per-scene part files, written into
``manifest.json`` under ``parameters`` and hashed into every part file, so a resumed
build reuses only scenes made the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cerulean_coco.errors import RecordFormatError
from cerulean_tiling import CeruleanTilingError, TilingConfig
from cerulean_tiling.fingerprints import setting_differences


@dataclass(frozen=True)
class BuildParameters:
    """The settings that shape a dataset's content.

    Attributes:
        tiling: the tiling settings, passed to cerulean-tiling unchanged.
        part_format: version of the part-file layout the build commits scenes with.
    """

    tiling: TilingConfig
    part_format: int

    def to_json(self) -> dict[str, Any]:
        """The ``parameters`` object of ``manifest.json``."""
        return {"tiling": self.tiling.to_dict(), "part_format": self.part_format}

    @classmethod
    def from_json(cls, data: Any) -> BuildParameters:
        """Parse :meth:`to_json` output.

        Raises:
            RecordFormatError: not an object with ``tiling`` and an integer
                ``part_format``, or tiling settings that do not load (the key is named).
        """
        if not isinstance(data, dict) or set(data) != {"tiling", "part_format"}:
            raise RecordFormatError(
                f"parameters must hold exactly 'tiling' and 'part_format', got {data!r}"
            )
        part_format = data["part_format"]
        if isinstance(part_format, bool) or not isinstance(part_format, int):
            raise RecordFormatError(f"parameters.part_format must be an integer, got "
                                    f"{part_format!r}")
        try:
            tiling = TilingConfig.from_dict(data["tiling"])
        except CeruleanTilingError as exc:
            raise RecordFormatError(f"parameters.tiling: {exc}") from None
        return cls(tiling, part_format)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form: the identity part files record."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def differences(self, other: BuildParameters) -> str:
        """``key: old -> new`` for every setting that differs (dotted keys), for messages."""
        return setting_differences(self.to_json(), other.to_json())


__all__ = ["BuildParameters"]
