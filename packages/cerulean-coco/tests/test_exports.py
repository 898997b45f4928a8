from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import cerulean_coco

WALKED = [m for m in pkgutil.walk_packages(cerulean_coco.__path__, "cerulean_coco.")
          if not m.name.endswith("__main__")]
MODULES = sorted(m.name for m in WALKED)
# Subpackages only group modules (their docstring says what lives there); they export
# nothing themselves, so nothing can come to depend on them by accident.
GROUPS = {m.name for m in WALKED if m.ispkg and m.name != "cerulean_coco.cli"}


@pytest.mark.parametrize("name", ["cerulean_coco", *MODULES])
def test_all_names_import(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    if name in GROUPS:
        assert module.__all__ == [], f"{name} groups modules and should export nothing"
        return
    assert module.__all__, f"{name} exports nothing"
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"


def test_package_and_cli_never_import_torch() -> None:
    code = (
        "import sys\n"
        f"import {', '.join(['cerulean_coco', *MODULES])}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'torchvision', 'tensorflow'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_reading_api_does_not_start_dask() -> None:
    code = ("import sys, cerulean_coco\n"
            "cerulean_coco.CocoDataset\n"
            "print('distributed' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
