from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import cerulean_eval

MODULES = sorted(m.name for m in pkgutil.walk_packages(cerulean_eval.__path__, "cerulean_eval.")
                 if not m.name.endswith("__main__"))
SRC = Path(cerulean_eval.__file__).parent


@pytest.mark.parametrize("name", ["cerulean_eval", *MODULES])
def test_all_names_import(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, f"{name} exports nothing"
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"
