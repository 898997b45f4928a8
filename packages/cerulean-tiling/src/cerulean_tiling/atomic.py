"""Writing small files so that a reader never sees half of one.

The text goes to a hidden temporary name beside its target, which is then renamed over
it (``os.replace`` is atomic on POSIX within one filesystem). ``.<name>.tmp`` leftovers
of a killed run are what :mod:`cerulean_tiling.run` sweeps away on the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

from cerulean_tiling.errors import OutputError


def write_text(path: Path, text: str, what: str = "") -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Args:
        path: the target file.
        text: its new content.
        what: what the file is, for the error message (e.g. ``"scene list"``).

    Raises:
        OutputError: the file cannot be written (the message names it).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        label = f"cannot write {what}".rstrip()
        raise OutputError(f"{path}: {label} ({exc.strerror or exc})") from None
