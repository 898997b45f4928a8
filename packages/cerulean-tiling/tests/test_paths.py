"""Names read from data stay inside their folder: the checks every package uses."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from cerulean_tiling.errors import FileNameError, UnsafePathError
from cerulean_tiling.paths import path_inside, printable, safe_name, safe_relative, utf8_path


@pytest.mark.parametrize(
    "name",
    ["", "/etc/passwd", "tiles/../../x.tif", "..", ".", "tiles//x.tif", "tiles/./x.tif",
     "tiles\\x.tif", "x\0.tif", "tiles/", 3, None],
)
def test_unsafe_names_are_refused(name: object) -> None:
    with pytest.raises(UnsafePathError, match="image file_name"):
        safe_relative(name, "image file_name")


def test_safe_names_pass_unchanged() -> None:
    assert safe_relative("tiles/a b.tif") == PurePosixPath("tiles", "a b.tif")
    assert safe_relative("..x/y..") == PurePosixPath("..x", "y..")
    assert safe_name("S1A_IW_GRDH") == "S1A_IW_GRDH"
    with pytest.raises(UnsafePathError, match="single file name"):
        safe_name("a/b", "scene id")


def test_path_inside_follows_links(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "tiles").mkdir(parents=True)
    (tmp_path / "outside.tif").write_bytes(b"x")
    (root / "tiles" / "in.tif").write_bytes(b"x")
    (root / "tiles" / "out.tif").symlink_to(tmp_path / "outside.tif")
    (root / "tiles" / "loop.tif").symlink_to(root / "tiles" / "in.tif")
    (root / "up").symlink_to(tmp_path)

    assert path_inside(root, "tiles/in.tif") == root / "tiles" / "in.tif"
    assert path_inside(root, "tiles/loop.tif") == root / "tiles" / "loop.tif"
    assert path_inside(root, "tiles/new.tif") == root / "tiles" / "new.tif"  # not there yet
    for name in ("tiles/out.tif", "up/outside.tif", "up/new.tif"):
        with pytest.raises(UnsafePathError, match="symbolic link"):
            path_inside(root, name)


def test_printable_shows_bytes_that_are_not_utf8() -> None:
    name = os.fsdecode(b"slick_\xff\xfe.png")
    assert printable(name) == "slick_\\xff\\xfe.png"
    assert printable("Nappe d'hydrocarbure é.png") == "Nappe d'hydrocarbure é.png"
    assert printable("lone \ud800") == "lone \\ud800"


def test_utf8_path_refuses_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    good = tmp_path / "naïve layer.png"
    assert utf8_path(good, "layer file") == good
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/slick_\xff.png"))
    with pytest.raises(FileNameError, match=r"slick_\\xff\.png: layer file name is not valid"):
        utf8_path(odd, "layer file")
