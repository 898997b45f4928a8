"""The quick demo, run once per test session; its outputs are the valid inputs of the
pipeline tests and of the bad-input corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from .demo_runner import run_demo


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The quick demo's output folder and its stdout."""
    out = tmp_path_factory.mktemp("demo") / "out"
    completed = run_demo(out)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return out, completed.stdout
