"""A dataset cannot make the tools read or write outside their folders.

The datasets here are hostile: an image ``file_name`` that climbs with ``..`` to a real
file beside the dataset, one that is absolute, and a tile that is a symbolic link to a
file outside. ``filter`` and ``merge`` must refuse them in one line without writing
anything (neither ``-o`` nor the place the name points at), and ``validate`` must call
the dataset invalid.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., Any]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


def _rename_first_image(dataset: Path, file_name: str) -> str:
    """Point the first image at ``file_name``; return the name it had."""
    path = dataset / "annotations.json"
    doc = json.loads(path.read_text())
    old = doc["images"][0]["file_name"]
    doc["images"][0]["file_name"] = file_name
    path.write_text(json.dumps(doc))
    return str(old)


def _tree(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@pytest.fixture
def hostile(tmp_path: Path, dataset_copy: Path) -> tuple[Path, Path]:
    """A work folder whose dataset (``work/a/b/ds``) names ``tiles/../../../secret.tif``.

    The file exists (a copy of a real tile), so only the containment check stops it.
    """
    work = tmp_path / "work"
    dataset = work / "a" / "b" / "ds"
    dataset.parent.mkdir(parents=True)
    shutil.move(dataset_copy, dataset)
    first = sorted((dataset / "tiles").iterdir())[0]
    shutil.copy(first, work / "a" / "secret.tif")
    _rename_first_image(dataset, "tiles/../../../secret.tif")
    return work, dataset


@pytest.mark.parametrize("command", ["filter", "merge"])
def test_climbing_file_name_is_refused(run_cli: Run, hostile: tuple[Path, Path],
                                       command: str) -> None:
    work, dataset = hostile
    out = work / "x" / "y" / "out"
    before = _tree(work)
    args = (dataset, "-o", out) if command == "filter" else (dataset, dataset, "-o", out)
    result = run_cli(command, *args)
    assert result.code == 1
    line = _one_error_line(result.err)
    assert "tiles/../../../secret.tif" in line and "outside" in line
    assert _tree(work) == before, "something was written"


def test_validate_reports_the_climbing_name(run_cli: Run, hostile: tuple[Path, Path]) -> None:
    _, dataset = hostile
    result = run_cli("validate", dataset)
    assert result.code == 1
    assert "problem(s) found" in _one_error_line(result.err)
    assert "tiles/../../../secret.tif" in result.out


def test_absolute_file_name_is_refused(run_cli: Run, dataset_copy: Path, tmp_path: Path) -> None:
    target = sorted((dataset_copy / "tiles").iterdir())[0]
    outside = tmp_path / "outside.tif"
    shutil.copy(target, outside)
    _rename_first_image(dataset_copy, str(outside))
    result = run_cli("filter", dataset_copy, "-o", tmp_path / "out")
    assert result.code == 1
    assert str(outside) in _one_error_line(result.err)
    assert not (tmp_path / "out").exists()
    assert run_cli("validate", dataset_copy).code == 1


def test_tile_linked_outside_is_refused(run_cli: Run, dataset_copy: Path,
                                        tmp_path: Path) -> None:
    tile = sorted((dataset_copy / "tiles").iterdir())[0]
    outside = tmp_path / "elsewhere.tif"
    shutil.move(tile, outside)
    tile.symlink_to(outside)
    result = run_cli("filter", dataset_copy, "-o", tmp_path / "out")
    assert result.code == 1
    line = _one_error_line(result.err)
    assert tile.name in line and "symbolic link" in line
    assert not (tmp_path / "out").exists()
    validated = run_cli("validate", dataset_copy)
    assert validated.code == 1 and "symbolic link" in validated.out


def test_manifest_tile_entry_that_climbs(run_cli: Run, dataset_copy: Path,
                                         tmp_path: Path) -> None:
    path = dataset_copy / "manifest.json"
    doc = json.loads(path.read_text())
    record = next(iter(doc["tiles"].values()))
    doc["tiles"]["../../etc/passwd"] = record
    path.write_text(json.dumps(doc))
    result = run_cli("filter", dataset_copy, "-o", tmp_path / "out")
    assert result.code == 1
    assert "../../etc/passwd" in _one_error_line(result.err)
    assert not (tmp_path / "out").exists()
    assert run_cli("validate", dataset_copy).code == 1
