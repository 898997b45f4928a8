"""Content hashes and cheap fingerprints of inputs and outputs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cerulean_tiling.fingerprints import sha256_file

_CHUNK = 1 << 20


def sha256_folder(path: Path) -> str:
    """Hex SHA-256 over the names and contents of the files directly in a folder.

    Files are taken in name order and each contributes its name, its size and its
    bytes, so renaming, adding or editing any file changes the hash.
    """
    digest = hashlib.sha256()
    for item in _files(path):
        digest.update(os.fsencode(item.name) + f"\0{item.stat().st_size}\0".encode())
        with open(item, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def fingerprint_folder(path: Path) -> str:
    """Hex SHA-256 of the names, sizes and modification times of a folder's files.

    Cheap enough to check every scene of a large build on each rerun; a changed
    fingerprint makes the build redo the scene (and recompute its content hash).
    """
    digest = hashlib.sha256()
    for item in _files(path):
        stat = item.stat()
        # os.fsencode: the name's bytes as on disk, also when they are not UTF-8.
        digest.update(os.fsencode(item.name) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files(path: Path) -> list[Path]:
    return sorted((p for p in Path(path).iterdir() if p.is_file()), key=lambda p: p.name)


__all__ = ["fingerprint_folder", "sha256_file", "sha256_folder"]
