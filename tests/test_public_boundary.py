"""Packages use each other only through the names their siblings make public.

A package's public names are its top-level ``__all__`` and, for the modules its
``__init__`` lists in ``PUBLIC_MODULES`` (cerulean-tiling's shared plumbing:
``cerulean_tiling.atomic``, ``.errors``, ``.command_line``, …), each such module's own
``__all__``. Every ``packages/*/src/<import>/**.py`` is parsed (nothing is imported, so
packages that need torch are checked in any environment). An import that reaches into
a sibling package — a submodule that is not public (``from cerulean_tiling.geo.grid
import Lattice``, ``import cerulean_tiling.cli.runner``), a name missing from the
``__all__`` of what it imports from (``from cerulean_tiling import grid``,
``from cerulean_tiling.atomic import _discard``), or ``sibling.name`` attribute use of
such a name — is a failure that names the file, the line and the import. Packages added
under ``packages/`` later are covered without touching this file.

The benchmarks under ``bench/`` stand outside every package and are held to the same
boundary: they time what users call, so internal modules can move without breaking them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[1] / "packages"


@dataclass(frozen=True)
class Package:
    name: str
    root: Path

    @property
    def exports(self) -> frozenset[str]:
        return exported_names(self.root / "__init__.py")

    @property
    def modules(self) -> dict[str, frozenset[str]]:
        """Public module (dotted name) -> the names its ``__all__`` exports."""
        init = self.root / "__init__.py"
        found = {}
        for module in _literal_strings(ast.parse(init.read_text(encoding="utf-8")),
                                       "PUBLIC_MODULES"):
            path = self.root.parent.joinpath(*module.split("."))
            source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
            found[module] = exported_names(source)
        return found


def discover() -> dict[str, Package]:
    """Import name -> package, for every ``packages/*/src/<name>/__init__.py``."""
    found = {}
    for init in sorted(PACKAGES.glob("*/src/*/__init__.py")):
        found[init.parent.name] = Package(init.parent.name, init.parent)
    return found


def exported_names(init: Path) -> frozenset[str]:
    """The string literals of ``__all__ = [...]`` in a module."""
    return _literal_strings(ast.parse(init.read_text(encoding="utf-8"), str(init)), "__all__")


def _literal_strings(tree: ast.Module, variable: str) -> frozenset[str]:
    """The string literals of a module-level ``variable = [...]`` or ``(...)``."""
    for node in tree.body:
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == variable for t in targets)
        if named and isinstance(value, ast.List | ast.Tuple):
            return frozenset(
                e.value for e in value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return frozenset()


def violations(source: str, own: str, exports: dict[str, frozenset[str]],
               where: str = "<source>") -> list[str]:
    """Imports in ``source`` (a module of package ``own``) that break the boundary.

    ``exports`` maps each package, and each public module (dotted), to its public names.
    """
    tree = ast.parse(source, where)
    siblings = {name for name in exports if "." not in name and name != own}
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name bound to a sibling package -> that package
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            if top not in siblings:
                continue
            if node.module not in exports:
                found.append(f"{where}:{node.lineno}: from {node.module} import ... "
                             f"(a submodule of {top} that is not public)")
                continue
            for alias in node.names:
                if alias.name not in exports[node.module]:
                    found.append(f"{where}:{node.lineno}: from {node.module} import "
                                 f"{alias.name} ({alias.name!r} is not in "
                                 f"{node.module}.__all__)")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in siblings:
                    continue
                if alias.name != top:
                    found.append(f"{where}:{node.lineno}: import {alias.name} "
                                 f"(a submodule of {top}; import names from it)")
                else:
                    aliases[alias.asname or top] = top
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            top = aliases[node.value.id]
            if node.attr not in exports[top]:
                found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr} "
                             f"({node.attr!r} is not in {top}.__all__)")
    return found


def public_names(packages: dict[str, Package]) -> dict[str, frozenset[str]]:
    """Each package and each of its public modules -> the names it makes public."""
    exports = {}
    for name, package in packages.items():
        exports[name] = package.exports
        exports.update(package.modules)
    return exports


def test_every_package_uses_only_its_siblings_public_names() -> None:
    packages = discover()
    assert {"cerulean_tiling", "cerulean_coco"} <= set(packages)
    exports = public_names(packages)
    for name, names in exports.items():
        assert names, f"{name} declares no __all__"
    assert "cerulean_tiling.atomic" in exports
    problems = []
    for name, package in packages.items():
        for path in sorted(package.root.rglob("*.py")):
            where = str(path.relative_to(PACKAGES.parent))
            problems += violations(path.read_text(encoding="utf-8"), name, exports, where)
    assert not problems, "imports past a sibling's public API:\n" + "\n".join(problems)


def test_benchmarks_use_only_public_names() -> None:
    exports = public_names(discover())
    scripts = sorted((PACKAGES.parent / "bench").glob("*.py"))
    assert scripts
    problems = []
    for path in scripts:
        where = str(path.relative_to(PACKAGES.parent))
        problems += violations(path.read_text(encoding="utf-8"), "", exports, where)
    assert not problems, "benchmarks import past a package's public API:\n" + "\n".join(
        problems)


EXPORTS = {"pkg_a": frozenset({"Lattice", "run_group"}), "pkg_b": frozenset({"B"}),
           "pkg_a.plumbing": frozenset({"write"})}


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("from pkg_a.grid import Lattice", "a submodule of pkg_a"),
        ("import pkg_a.cli.runner", "a submodule of pkg_a"),
        ("from pkg_a import grid", "'grid' is not in pkg_a.__all__"),
        ("from pkg_a import *", "'*' is not in pkg_a.__all__"),
        ("import pkg_a\npkg_a.grid.Lattice", "'grid' is not in pkg_a.__all__"),
        ("import pkg_a as a\na.secret", "'secret' is not in pkg_a.__all__"),
        ("def f():\n    from pkg_a.cli import runner", "a submodule of pkg_a"),
        ("if TYPE_CHECKING:\n    from pkg_a.grid import Window", "a submodule of pkg_a"),
        ("from pkg_a.plumbing import _discard", "'_discard' is not in pkg_a.plumbing.__all__"),
        ("import pkg_a.plumbing", "a submodule of pkg_a"),
    ],
)
def test_the_check_catches_each_kind_of_reach(source: str, needle: str) -> None:
    found = violations(source, "pkg_b", EXPORTS)
    assert len(found) == 1 and needle in found[0], found


@pytest.mark.parametrize(
    "source",
    [
        "from pkg_a import Lattice, run_group",
        "import pkg_a\npkg_a.Lattice",
        "from pkg_a.plumbing import write",
        "from pkg_b.internal import anything",  # a package's own internals are its business
        "from . import sibling_module",
        "import os.path",
    ],
)
def test_the_check_allows_public_names(source: str) -> None:
    assert violations(source, "pkg_b", EXPORTS) == []
