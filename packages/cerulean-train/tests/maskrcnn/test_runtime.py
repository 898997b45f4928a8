"""The runtime venv's bookkeeping: names, the completion marker, stale builds."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cerulean_train.errors import ConfigError
from cerulean_train.runtime import (
    MARKER,
    RuntimeTarget,
    _remove_stale_builds,
    find_runtime,
    run_job,
    runtime_path,
    runtime_root,
)


def test_parse() -> None:
    target = RuntimeTarget.parse("torch==2.0.1")
    assert (target.torch, target.torchvision) == ("2.0.1", "0.15.2")
    assert target.requirements == ("torch==2.0.1", "torchvision==0.15.2", "numpy<2")
    assert RuntimeTarget.parse("workspace").torch is None
    for bad in ("torch", "numpy==1", "torch==9.9.9"):
        with pytest.raises(ConfigError):
            RuntimeTarget.parse(bad)


def test_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERULEAN_RUNTIME_DIR", str(tmp_path / "env"))
    assert runtime_root() == tmp_path / "env"
    assert runtime_root(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("CERULEAN_RUNTIME_DIR")
    assert runtime_root().parts[-3:] == (".cache", "cerulean-ml", "runtimes")


def test_only_a_marked_venv_counts(tmp_path: Path) -> None:
    target = RuntimeTarget.parse("torch==2.0.1")
    path = runtime_path(target, tmp_path)
    (path / "bin").mkdir(parents=True)
    assert find_runtime(target, tmp_path) is None
    for unusable in ('{"torch": "2.0', "[]"):
        (path / MARKER).write_text(unusable)
        assert find_runtime(target, tmp_path) is None
    (path / MARKER).write_text(json.dumps({"torch": "2.0.1", "torchvision": "0.15.2"}))
    env = find_runtime(target, tmp_path)
    assert env is not None and env.python == path / "bin" / "python"


def test_stale_builds_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".building-torch-2.0.1-old"
    fresh = tmp_path / ".building-torch-2.0.1-new"
    stale.mkdir()
    fresh.mkdir()
    old = time.time() - 7200
    os.utime(stale, (old, old))
    _remove_stale_builds(tmp_path, "torch-2.0.1")
    assert not stale.exists() and fresh.exists()


def test_jobs_run_in_process_for_the_workspace() -> None:
    result = run_job(None, {"mode": "versions"})
    assert result["ok"] and "torch" in result
    assert not run_job(None, {"mode": "nonsense"})["ok"]
