from __future__ import annotations

from pathlib import Path

import pytest

from cerulean_tiling.atomic import atomic_path, is_temp, staged_folder, write_bytes
from cerulean_tiling.errors import OutputError
from cerulean_tiling.jsonio import write_json


def test_staged_folder_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_folder(target, overwrite=False) as staged:
        (staged / "half.txt").write_text("x")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with staged_folder(target, overwrite=False) as staged:
        write_json(staged / "a.json", {"a": 1})
    assert (target / "a.json").read_text() == '{"a":1}\n'


def test_staged_folder_refuses_or_replaces_existing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(OutputError, match="already exists"), \
            staged_folder(target, overwrite=False):
        pass
    with staged_folder(target, overwrite=True) as staged:
        (staged / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_bytes_leaves_no_temp_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "a.bin"
    with pytest.raises(OutputError, match="a.bin: cannot write thing"):
        write_bytes(target, b"x", "thing")
    write_bytes(tmp_path / "a.bin", b"x")
    write_bytes(tmp_path / "a.bin", b"yz")
    assert (tmp_path / "a.bin").read_bytes() == b"yz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_atomic_path_moves_in_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_bytes(b"half")
        assert is_temp(temp)
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as temp:
        temp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
