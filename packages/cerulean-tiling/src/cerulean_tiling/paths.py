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

Names read from disk meet a third check: :func:`utf8_path` refuses a path that is not
valid UTF-8 (Python keeps its odd bytes as lone surrogates, which JSON, GDAL and the
terminal all refuse later, far from the file), and :func:`printable` shows such a path
in a message with those bytes as ``\\xNN``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from cerulean_tiling.errors import FileNameError, UnsafePathError


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


def printable(text: object) -> str:
    """``str(text)`` with bytes that are not UTF-8 shown as ``\\xNN``, safe to print or save.

    A name read from disk that is not valid UTF-8 reaches Python with each odd byte as a
    lone surrogate (``surrogateescape``); writing it to stdout, JSON or GDAL fails.
    """
    value = str(text)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def utf8_path(path: Path, what: str = "file") -> Path:
    """``path`` when every part of it is valid UTF-8.

    Args:
        path: a path found on disk (a listed folder entry, a discovered scene folder).
        what: what the path is, for the message (``"layer file"``).

    Raises:
        FileNameError: the path holds bytes that are not UTF-8 (shown as ``\\xNN``).
    """
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise FileNameError(
            f"{printable(path)}: {what} name is not valid UTF-8; rename it"
        ) from None
    return path


__all__ = ["path_inside", "printable", "safe_name", "safe_relative", "utf8_path"]
