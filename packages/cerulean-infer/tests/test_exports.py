"""Every name in ``__all__`` imports, and sibling packages are used only through theirs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import cerulean_infer
import cerulean_tiling

SRC = Path(cerulean_infer.__file__).parent


def test_all_names_import() -> None:
    for name in cerulean_infer.__all__:
        assert getattr(cerulean_infer, name) is not None, name


def test_siblings_only_through_their_public_names() -> None:
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module \
                    and node.module.startswith("cerulean_") \
                    and not node.module.startswith("cerulean_infer"):
                public = ("cerulean_tiling", *cerulean_tiling.PUBLIC_MODULES)
                assert node.module in public, (path, node.module)
                names = importlib.import_module(node.module).__all__
                for alias in node.names:
                    assert alias.name in names, (path, alias.name)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("cerulean_train", "cerulean_eval",
                                                      "cerulean_coco")), (path, alias.name)
