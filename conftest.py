"""Test distribution over pytest-xdist workers (``./dev test`` runs ``-n auto --dist loadfile``).

Each test file is one unit of work, so its module fixtures (a trained model, a terraform
apply) are built once, by the worker that runs the file; ``tests/pipeline`` is a single
unit, because its files share the quick demo's session fixture. That unit is the
longest, so it is collected first and a worker starts it at once.

(xdist's own ``--dist loadgroup`` cannot do this here: it marks groups by rewriting node
ids, which pytest 9 no longer reads.) Without xdist nothing here applies.
"""

from __future__ import annotations

from typing import Any

import pytest

_PIPELINE = "tests/pipeline/"


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
