"""The public API: everything in __all__ imports, and nothing pulls in torch."""

from __future__ import annotations

import subprocess
import sys

import cerulean_tiling


def test_all_names_import() -> None:
    for name in cerulean_tiling.__all__:
        assert hasattr(cerulean_tiling, name), name


def test_importing_everything_never_imports_torch() -> None:
    code = (
        "import sys, pkgutil, importlib, cerulean_tiling\n"
        "for m in pkgutil.walk_packages(cerulean_tiling.__path__, 'cerulean_tiling.'):\n"
        "    if m.name != 'cerulean_tiling.__main__': importlib.import_module(m.name)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
