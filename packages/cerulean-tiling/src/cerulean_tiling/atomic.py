"""Writing outputs so that a reader never sees half of one: the one implementation.

Every package writes files and folders through these functions. A file goes to a hidden
temporary name beside its target (unique per writer, so two processes never share
one), is flushed and fsynced, then renamed over the target (``os.replace`` is atomic
on POSIX within one filesystem); on any failure the temporary file is removed. JSON
files come here through :func:`cerulean_tiling.jsonio.write_json`, beside the JSON
readers. Whole output folders are assembled in a hidden sibling folder and renamed
into place when complete. Leftovers of a killed run carry :data:`TEMP_MARK` in their
names, which is how resuming code recognises and sweeps them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from cerulean_tiling.errors import OutputError

TEMP_MARK = ".tmp-"
"""Part of the name of every temporary file or folder written here."""


def temp_name(path: Path) -> Path:
    """A hidden, unique temporary sibling of ``path`` that carries :data:`TEMP_MARK`."""
    return path.with_name(f".{path.name}{TEMP_MARK}{uuid.uuid4().hex[:12]}")


def is_temp(path: Path) -> bool:
    """Whether ``path`` is a temporary file or folder left by these writers."""
    return path.name.startswith(".") and TEMP_MARK in path.name


def write_bytes(path: Path, data: bytes, what: str = "") -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename).

    Args:
        path: the target file.
        data: its new content.
        what: what the file is, for the error message (e.g. ``"scene list"``).

    Raises:
        OutputError: the file cannot be written (the message names it).
    """
    with atomic_path(path, what) as temp, open(temp, "wb") as handle:
        handle.write(data)


def write_text(path: Path, text: str, what: str = "") -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes`."""
    write_bytes(path, text.encode("utf-8"), what)


@contextlib.contextmanager
def atomic_path(path: Path, what: str = "") -> Iterator[Path]:
    """Yield a temporary path to write ``path`` through (for writers that need a name).

    GDAL, torch and matplotlib write to a file name rather than bytes: give them the
    yielded name; when the block succeeds the file is fsynced and renamed over ``path``,
    and on an exception it is removed.

    Raises:
        OutputError: the finished file cannot be moved into place.
    """
    path = Path(path)
    temp = temp_name(path)
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        _discard(temp)
        label = f"cannot write {what}".rstrip()
        raise OutputError(f"{path}: {label} ({exc.strerror or exc})") from None
    except BaseException:
        _discard(temp)
        raise


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (outputs are never modified in place), else copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def staged_folder(target: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a hidden sibling folder that becomes ``target`` when the block succeeds.

    On an exception the staged folder is removed and ``target`` is left as it was.

    Raises:
        OutputError: ``target`` exists and ``overwrite`` is false, or cannot be made.
    """
    target = Path(target).absolute()
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: already exists (use --overwrite to replace it)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = temp_name(target)
        staged.mkdir()
    except OSError as exc:
        raise OutputError(f"{target}: cannot create output ({exc.strerror or exc})") from None
    try:
        yield staged
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if target.exists():
        trash = target.with_name(f".{target.name}{TEMP_MARK}old-{uuid.uuid4().hex[:12]}")
        os.replace(target, trash)
        os.replace(staged, target)
        _remove(trash)
    else:
        os.replace(staged, target)


def _discard(temp: Path) -> None:
    """Remove a temporary file if it is there (its folder may not even exist)."""
    with contextlib.suppress(OSError):
        temp.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


__all__ = [
    "TEMP_MARK",
    "atomic_path",
    "is_temp",
    "link_or_copy",
    "staged_folder",
    "temp_name",
    "write_bytes",
    "write_text",
]
