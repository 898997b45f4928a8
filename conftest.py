"""The workspace's test plugin: the CLI runner and the loopback servers every package's
tests share, and test distribution over pytest-xdist workers (``./dev test`` runs
``-n auto --dist loadfile``).

**run_cli.** ``run_cli(*args)`` runs a package's command line in-process and returns its
exit code, stdout and stderr (:class:`CliResult`). It runs the ``main`` that the
package's own ``tests/conftest.py`` returns from its ``cli_main`` fixture, so each
package names its CLI once and the runner exists once. It lives in this root conftest
because every test run starts here: ``./dev test`` and each of CI's per-package venvs
(``.ci/run``) run pytest from the repository root, whose ``pyproject.toml`` makes it
the rootdir, so this file is loaded without being installed; a plugin shipped inside a
package (a ``pytest11`` entry point) would instead load into every pytest run of every
environment that installs the package, users' included, and would need a reinstall to
appear in an editable workspace.

**Servers and GRDs** (``tests/support``, loaded below as plugins): S3 on 127.0.0.1 (moto,
alone or behind a proxy that acts like S3), a static STAC catalogue with eodag pointed at
it, and ``write_grd`` for GRD-like GeoTIFFs of a test's own content. The root
``pyproject.toml`` puts the repository root on ``sys.path`` (pytest's ``pythonpath``), so
``tests.support`` imports however pytest is started.

**Distribution.**
Each test file is one unit of work, so its module fixtures (a trained model, a terraform
apply) are built once, by the worker that runs the file; ``tests/pipeline`` is a single
unit, because its files share the quick demo's session fixture. That unit is the
longest, so it is collected first and a worker starts it at once.

(xdist's own ``--dist loadgroup`` cannot do this here: it marks groups by rewriting node
ids, which pytest 9 no longer reads.) Without xdist nothing here applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ("tests.support.s3", "tests.support.stac")

_PIPELINE = "tests/pipeline/"


@dataclass
class CliResult:
    """What one in-process CLI run returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(cli_main: Callable[[list[str]], int],
            capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the package's CLI (its ``cli_main`` fixture) in-process; returns exit code,
    stdout and stderr."""

    def run(*args: str | Path) -> CliResult:
        try:
            code = cli_main([str(a) for a in args])
        except SystemExit as exc:  # click's own exits (--help, usage errors)
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def _unit(nodeid: str) -> str:
    """The unit of work of a test: its file, or the pipeline folder."""
    path = nodeid.split("::", 1)[0]
    return _PIPELINE if path.startswith(_PIPELINE) else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileScheduling(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return FileScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: its order is the schedule's
        items.sort(key=lambda item: _unit(item.nodeid) != _PIPELINE)
