"""Content hashes and setting comparisons: how a rerun knows what it is looking at.

Every package records what produced an output (a GeoJSON's SHA-256 in its settings file,
a build's parameters in its parts, an evaluation's annotations hash) and compares the
record on a rerun; the hash and the "what differs" message are defined here once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def setting_differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``key: old -> new`` for each setting that differs, nested keys dotted, by key.

    Args:
        old: the recorded settings (JSON types).
        new: this run's settings.

    Returns:
        The differences joined by ``", "``; empty when the settings are equal.
    """
    before, after = _flatten(old), _flatten(new)
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


__all__ = ["setting_differences", "sha256_file"]
