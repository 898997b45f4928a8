"""Odd names, ungeoreferenced rasters and bad option values, as a user meets them.

Each command runs as a subprocess (``python -m cerulean_tiling``), so what is checked is
the whole stderr a user sees: Python warnings and library log lines included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import rasterio

from cerulean_tiling.synthetic.scenes import SyntheticScene

Root = tuple[Path, list[SyntheticScene]]


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cerulean_tiling", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _error_line(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _copy_scene(root: Path, tmp: Path, class_folder: bytes = b"vessel") -> Path:
    source = sorted(root.glob("*/S1*"))[0]
    folder = Path(os.fsdecode(os.fsencode(tmp) + b"/scenes/" + class_folder))
    folder.mkdir(parents=True)
    shutil.copytree(source, folder / source.name)
    return folder / source.name


def test_a_layer_name_that_is_not_utf8_is_named_and_nothing_is_left(
        synthetic_root: Root, tmp_path: Path) -> None:
    root, _ = synthetic_root
    scene = _copy_scene(root, tmp_path)
    layer = next(p for p in sorted(scene.glob("*.png")) if p.name != "Background.png")
    os.rename(os.fsencode(layer), os.fsencode(scene) + b"/slick_\xff\xfe.png")
    out = tmp_path / "tiles"
    _error_line(_cli("tile", scene, "-o", out, "--no-progress"), 1,
                "slick_\\xff\\xfe.png", "not valid UTF-8")
    assert not out.exists()
    _error_line(_cli("info", scene), 1, "slick_\\xff\\xfe.png")


def test_a_class_folder_that_is_not_utf8_is_named(synthetic_root: Root,
                                                  tmp_path: Path) -> None:
    root, _ = synthetic_root
    scene = _copy_scene(root, tmp_path, class_folder=b"caf\xe9")
    out = tmp_path / "tiles"
    _error_line(_cli("tile", tmp_path / "scenes", "-o", out, "--no-progress"), 1,
                "caf\\xe9", scene.name, "scene folder name is not valid UTF-8")
    assert not out.exists()


def test_a_raster_without_gcps_is_one_line_unless_verbose(synthetic_root: Root,
                                                         tmp_path: Path) -> None:
    root, _ = synthetic_root
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=32, height=32, count=1,
                       dtype="uint8") as dst:
        dst.write(np.zeros((1, 32, 32), np.uint8))
    scene = sorted(root.glob("*/S1*"))[0]
    _error_line(_cli("info", scene, "--gcps-from", plain), 1, "plain.tif")
    # The warning is rasterio's; -v is where it belongs.
    verbose = _cli("-v", "info", scene, "--gcps-from", plain)
    assert verbose.returncode == 1 and "NotGeoreferencedWarning" in verbose.stderr


def test_option_values_out_of_range_are_usage_errors(synthetic_root: Root,
                                                     tmp_path: Path) -> None:
    root, _ = synthetic_root
    out = tmp_path / "tiles"
    for option, value in (("--zoom", "40"), ("--tile-size", "-5"), ("--alpha-threshold", "300"),
                          ("--colour-tolerance", "-1")):
        _error_line(_cli("tile", root, "-o", out, option, value), 2, value)
        assert not out.exists()


def test_several_failed_scenes_are_one_error_line(synthetic_root: Root, tmp_path: Path) -> None:
    root, _ = synthetic_root
    copy = tmp_path / "scenes"
    shutil.copytree(root, copy)
    broken = sorted(copy.glob("*/S1*"))[:2]
    for scene in broken:
        (scene / "Background.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out = tmp_path / "tiles"
    done = _cli("tile", copy, "-o", out, "--no-progress")
    _error_line(done, 1, "2 of 3 scenes failed", "Background.png")
    assert sorted(line.split(":")[1].strip() for line in done.stdout.splitlines()
                  if line.startswith("failed: ")) == sorted(s.name for s in broken)
    assert len(list((out / "scenes").iterdir())) == 1  # the good scene is kept, resumable
