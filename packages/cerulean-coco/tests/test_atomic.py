from __future__ import annotations

from pathlib import Path

import pytest

from cerulean_coco.atomic import staged_folder, write_json
from cerulean_coco.errors import OutputError


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
