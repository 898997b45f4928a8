"""Cheap checks, made before a scene is read, that its outputs can be written.

:func:`check_output_path` tests a path's folder by creating and removing a hidden probe
file there (``os.access`` answers for permissions only, and root passes it even on a
read-only mount). :func:`probe_path` and :func:`probe_slick` let
:func:`cerulean_infer.outputs.check_outputs` run the real output step on a tiny slick
into hidden files that are removed at once.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shapely.geometry import MultiPolygon, box

from cerulean_infer.errors import OutputError
from cerulean_infer.records import Slick

PROBE_PREFIX = ".cerulean-infer-probe-"


def check_output_path(path: Path) -> None:
    """Raise unless a file can be written at ``path``.

    Raises:
        OutputError: its folder does not exist or does not take a new file, or ``path``
            is a folder.
    """
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: the folder {parent} does not exist")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write in {parent} "
                          f"({exc.strerror or exc})") from None
    os.close(handle)
    os.unlink(probe)


@contextlib.contextmanager
def probe_path(path: Path) -> Iterator[Path]:
    """A hidden path next to ``path`` with its suffix, removed (if written) on exit."""
    handle, name = tempfile.mkstemp(prefix=PROBE_PREFIX, suffix=Path(path).suffix,
                                    dir=Path(path).parent)
    os.close(handle)
    probe = Path(name)
    try:
        yield probe
    finally:
        probe.unlink(missing_ok=True)


def probe_slick() -> Slick:
    """A 6 × 6 mdeg slick with a 2 × 2 mdeg hole, lying across the antimeridian.

    It takes every branch of the GeoJSON step: the cut at ±180°, the orientation of
    outer rings and holes, the ellipsoidal area.
    """
    outline = box(179.997, 0.0, 180.003, 0.006).difference(box(179.999, 0.002, 180.001, 0.004))
    return Slick(geometry=MultiPolygon([outline]), inf_idx=1, class_name="infra_slick",
                 machine_confidence=0.5, mean_conf=0.5, median_conf=0.5, max_conf=0.5)


__all__ = ["PROBE_PREFIX", "check_output_path", "probe_path", "probe_slick"]
