"""Writing outputs so that a reader never sees half of one.

Files are written to a hidden temporary name beside their target and renamed over it
(``os.replace`` is atomic on POSIX within one filesystem). Whole output folders are
assembled in a hidden sibling folder and renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cerulean_coco.errors import OutputError

TEMP_MARK = ".tmp-"


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename)."""
    path = Path(path)
    temp = path.with_name(f".{path.name}{TEMP_MARK}{uuid.uuid4().hex[:12]}")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Write ``data`` as UTF-8 JSON (plus a final newline) atomically."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, separators=_separators(indent))
    write_bytes(path, (text + "\n").encode("utf-8"))


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (tiles are never modified in place), else copy."""
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
        staged = target.with_name(f".{target.name}{TEMP_MARK}{uuid.uuid4().hex[:12]}")
        staged.mkdir()
    except OSError as exc:
        raise OutputError(f"{target}: cannot create output ({exc.strerror or exc})") from None
    try:
        yield staged
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if target.exists():
        trash = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
        os.replace(target, trash)
        os.replace(staged, target)
        _remove(trash)
    else:
        os.replace(staged, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _separators(indent: int | None) -> tuple[str, str]:
    return (",", ": ") if indent is not None else (",", ":")


__all__ = ["link_or_copy", "staged_folder", "write_bytes", "write_json"]
