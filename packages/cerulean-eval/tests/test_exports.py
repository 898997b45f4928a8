from __future__ import annotations

import ast
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


def test_siblings_are_imported_through_their_public_names() -> None:
    siblings = ("cerulean_tiling", "cerulean_coco", "cerulean_infer")
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module \
                    and node.module.split(".")[0] in siblings:
                assert "." not in node.module, f"{path}: from {node.module} import ..."
                public = importlib.import_module(node.module).__all__
                for alias in node.names:
                    assert alias.name in public, f"{path}: {node.module}.{alias.name}"
