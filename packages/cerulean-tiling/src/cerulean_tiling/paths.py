"""Paths named by data: they must stay inside the folder they are relative to.

A dataset, manifest, scene list or bundle is data that may come from a shared bucket or
a stranger's archive. A file name it holds (``tiles/x.tif``, a scene id used as a folder
name) is only ever a path *below* the folder that holds the data. Two checks make that
so, and every package reads such names through them:

- :func:`safe_relative` checks the name itself: relative, POSIX separators, no empty,
  ``.`` or ``..`` segment, no backslash or NUL. It needs no file system, so records can
  refuse a bad name when they are parsed.
- :func:`path_inside` joins a checked name to its folder and resolves symbolic links, so
  a link planted inside the folder cannot lead out of it either.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from cerulean_tiling.errors import UnsafePathError


def safe_relative(name: object, what: str = "path") -> PurePosixPath:
    """``name`` as a relative POSIX path that cannot leave the folder it is joined to.

    Args:
        name: the name as read from the data (anything; a non-string is refused).
        what: what the name is, for the message (``"image file_name"``).

    Raises:
        UnsafePathError: ``name`` is not a string, is empty or absolute, or holds a
            backslash, a NUL, or an empty, ``.`` or ``..`` segment (the message quotes it).
    """
    if not isinstance(name, str):
        raise UnsafePathError(f"{what} {name!r} is not a string")
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise UnsafePathError(
            f"{what} {name!r} would lead outside its folder "
            "(absolute, '..', '.', empty segment, backslash or NUL)"
        )
    return PurePosixPath(*parts)


def safe_name(name: object, what: str = "name") -> str:
    """``name`` when it is usable as one file or folder name (no ``/`` at all).

    Raises:
        UnsafePathError: as :func:`safe_relative`, or ``name`` holds a ``/``.
    """
    relative = safe_relative(name, what)
    if len(relative.parts) != 1:
        raise UnsafePathError(f"{what} {name!r} is not a single file name")
    return relative.name


def path_inside(folder: Path, name: object, what: str = "path") -> Path:
    """``folder / name``, checked to lie inside ``folder`` once links are resolved.

    The returned path keeps the caller's spelling (``folder / name``); only the check
    resolves it. A path that does not exist yet is checked through its nearest existing
    parent, so it can be used for writing as well as reading.

    Args:
        folder: the folder the data belongs to.
        name: the relative name read from the data.
        what: what the name is, for the message.

    Raises:
        UnsafePathError: the name is unsafe (:func:`safe_relative`), or a symbolic link
            on the way takes it outside ``folder`` (the message names the path).
    """
    path = Path(folder) / safe_relative(name, what)
    root = Path(folder).resolve()
    if not path.resolve().is_relative_to(root):
        raise UnsafePathError(f"{path}: {what} leads outside {folder} through a symbolic link")
    return path


__all__ = ["path_inside", "safe_name", "safe_relative"]
