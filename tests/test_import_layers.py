"""Each package's modules import each other in layers, never in a circle.

Every ``packages/*/src/<import>/**.py`` is parsed (nothing is imported, so packages that
need torch are checked in any environment) and the imports between a package's own
modules become a graph; a cycle in it fails the test as a chain ``a → b → c → a``.

Every import statement counts, wherever it stands: at module level, under
``if TYPE_CHECKING:``, and inside functions. That is the strictest reading, chosen on
purpose: an import moved into a function or behind ``TYPE_CHECKING`` still makes the
lower module know the higher one, so the layering is broken just the same; the cycle only
stops failing at import time, and a later edit that moves the import back (or a type
checker that follows it) meets it again. A function-level import stays fine for what it
is meant for: loading a heavy dependency late (torch, dask), not climbing a layer.

What an import names is what counts:

- ``import pkg.a.b`` and ``from pkg.a import b`` where ``b`` is a module: ``pkg.a.b``;
- ``from pkg.a import name`` where ``name`` is not a module: ``pkg.a`` (a subpackage's
  ``__init__``, which in turn imports what it re-exports);
- relative imports resolve against the importing module's package the same way.

A subpackage's ``__init__`` runs before any of its modules is loaded, so importing
``pkg.sub.mod`` from outside ``pkg.sub`` also imports ``pkg.sub`` (an edge to it as well):
were ``pkg.sub``'s ``__init__`` to import, through other modules, the importer back, the
first import of ``pkg.sub.mod`` would find a half-initialised module. A module inside
``pkg.sub`` gets no such edge (its ``__init__`` has already started when the module
loads), and neither does any module for the top-level package, for the same reason.

The top-level ``__init__`` of a package is its public hub: it re-exports names from across
the package, so it sits above every module. No module of the package may import it
(``from cerulean_infer import __version__``, ``import cerulean_infer``): such an import
climbs to the top even where it happens not to close a cycle today, and the next name
re-exported would close one. Submodules are named directly instead
(``from cerulean_infer.version import __version__``).
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[1] / "packages"


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (both dotted module names) at ``line``."""

    source: str
    target: str
    line: int


def module_name(path: Path, src: Path) -> str:
    """``src/pkg/a/b.py`` → ``pkg.a.b``; ``src/pkg/a/__init__.py`` → ``pkg.a``."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(root: Path) -> dict[str, str]:
    """Module name → source text, for every module of the package at ``root``."""
    src = root.parent
    return {module_name(path, src): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*.py"))}


def imports(name: str, source: str, modules: set[str], is_package: bool) -> list[Edge]:
    """The imports of module ``name`` that land on another module of its own package.

    Args:
        name: the importing module's dotted name.
        source: its source text.
        modules: every module name of the package (to tell a submodule from a name).
        is_package: whether ``name`` is a package ``__init__`` (relative imports then
            resolve against ``name`` itself rather than its parent).
    """
    top = name.split(".")[0]
    package = name if is_package else name.rpartition(".")[0]
    found: list[Edge] = []

    def add(target: str, line: int) -> None:
        if target.split(".")[0] != top:
            return
        # A name missing from ``modules`` is an attribute of the nearest module above.
        while target not in modules and "." in target:
            target = target.rpartition(".")[0]
        if target != name:
            found.append(Edge(name, target, line))
        # The subpackages entered on the way run their __init__ first (module docstring).
        parts = target.split(".")
        for depth in range(2, len(parts)):
            parent = ".".join(parts[:depth])
            inside = name == parent or name.startswith(parent + ".")
            if parent in modules and not inside:
                found.append(Edge(name, parent, line))

    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else base, node.lineno)
    return found


def graph(modules: dict[str, str]) -> list[Edge]:
    """Every import edge between the modules of one package."""
    names = set(modules)
    edges: list[Edge] = []
    for name, source in modules.items():
        is_package = any(other.startswith(name + ".") for other in names)
        edges += imports(name, source, names, is_package)
    return edges


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Import cycles, each as ``[a, b, ..., a]``: for every module on a cycle, the
    shortest cycle through it (rotations of one cycle reported once)."""
    successors: dict[str, set[str]] = {}
    for edge in edges:
        successors.setdefault(edge.source, set()).add(edge.target)
    found: list[list[str]] = []
    seen: set[frozenset[tuple[str, str]]] = set()
    for start in sorted(successors):
        path = shortest_path_back(start, successors)
        if path is None:
            continue
        key = frozenset(pairwise(path))
        if key not in seen:
            seen.add(key)
            found.append(path)
    return found


def shortest_path_back(start: str, successors: dict[str, set[str]]) -> list[str] | None:
    """The shortest chain of imports from ``start`` back to itself, or None."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(successors.get(node, ())):
            if nxt == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [start, *reversed(chain[:-1]), start] if node != start else [start, start]
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


def hub_imports(edges: list[Edge]) -> list[Edge]:
    """Imports of a package's top-level ``__init__`` by its own modules."""
    return [edge for edge in edges if "." not in edge.target]


def package_roots() -> list[Path]:
    return sorted(init.parent for init in PACKAGES.glob("*/src/*/__init__.py"))


def describe(chain: list[str], edges: list[Edge]) -> str:
    lines = {(e.source, e.target): e.line for e in edges}
    steps = [f"{a} (line {lines[a, b]})" for a, b in pairwise(chain)]
    return " → ".join([*steps, chain[-1]])


@pytest.mark.parametrize("root", package_roots(), ids=lambda root: root.name)
def test_package_imports_have_no_cycle(root: Path) -> None:
    edges = graph(package_modules(root))
    assert edges, f"{root.name}: no imports between its modules found"
    found = cycles(edges)
    assert not found, f"{root.name} has import cycles:\n" + "\n".join(
        describe(chain, edges) for chain in found)


@pytest.mark.parametrize("root", package_roots(), ids=lambda root: root.name)
def test_no_module_imports_its_own_package_hub(root: Path) -> None:
    found = hub_imports(graph(package_modules(root)))
    assert not found, f"{root.name}: modules import the package's __init__:\n" + "\n".join(
        f"{e.source}:{e.line}" for e in found)


def test_the_packages_are_found() -> None:
    assert {root.name for root in package_roots()} >= {
        "cerulean_tiling", "cerulean_coco", "cerulean_train", "cerulean_infer", "cerulean_eval"}


MODULES = {"pkg", "pkg.records", "pkg.scene", "pkg.sub", "pkg.sub.low", "pkg.sub.high"}


@pytest.mark.parametrize(
    ("name", "source", "targets"),
    [
        ("pkg.scene", "from pkg.records import Tile", {"pkg.records"}),
        ("pkg.scene", "import pkg.sub.low", {"pkg.sub.low", "pkg.sub"}),
        ("pkg.scene", "from pkg.sub import low", {"pkg.sub.low", "pkg.sub"}),
        ("pkg.sub.high", "from pkg.sub.low import thing", {"pkg.sub.low"}),
        ("pkg.sub.high", "from pkg.sub import low", {"pkg.sub.low"}),
        ("pkg.scene", "from pkg.sub import helper", {"pkg.sub"}),
        ("pkg.scene", "from pkg import records, __version__", {"pkg.records", "pkg"}),
        ("pkg.scene", "from . import records", {"pkg.records"}),
        ("pkg.scene", "from .sub.low import thing", {"pkg.sub.low", "pkg.sub"}),
        ("pkg.sub.high", "from .low import thing", {"pkg.sub.low"}),
        ("pkg.sub.high", "from .. import scene", {"pkg.scene"}),
        ("pkg.sub.high", "from ..records import Tile", {"pkg.records"}),
        ("pkg.scene", "def f():\n    from pkg.sub.high import g", {"pkg.sub.high", "pkg.sub"}),
        ("pkg.scene", "if TYPE_CHECKING:\n    from pkg.sub.high import G",
         {"pkg.sub.high", "pkg.sub"}),
        ("pkg.scene", "import os\nfrom other_pkg.scene import x", set()),
        ("pkg.scene", "from pkg.scene import x", set()),
    ],
)
def test_each_kind_of_import_resolves(name: str, source: str, targets: set[str]) -> None:
    assert {e.target for e in imports(name, source, MODULES, is_package=False)} == targets


def test_relative_imports_in_a_package_init_resolve_against_the_package() -> None:
    found = imports("pkg.sub", "from .low import thing", MODULES, is_package=True)
    assert [e.target for e in found] == ["pkg.sub.low"]


def test_a_cycle_is_reported_as_a_chain() -> None:
    modules = {
        "pkg.__init__": "",
        "pkg.merging": "from pkg.predictor import TilePredictions",
        "pkg.predictor": "def f():\n    from pkg.scene import run",
        "pkg.scene": "if TYPE_CHECKING:\n    from pkg import merging",
        "pkg.records": "",
        "pkg.cli": "from pkg.scene import run\nfrom pkg.records import Tile",
    }
    modules = {name.removesuffix(".__init__"): text for name, text in modules.items()}
    edges = graph(modules)
    found = cycles(edges)
    assert found == [["pkg.merging", "pkg.predictor", "pkg.scene", "pkg.merging"]]
    assert describe(found[0], edges) == (
        "pkg.merging (line 1) → pkg.predictor (line 2) → pkg.scene (line 2) → pkg.merging")


def test_a_cycle_through_a_subpackage_init_is_found() -> None:
    modules = {
        "pkg": "",
        "pkg.export": "from pkg.export.bundle import export_bundle",
        "pkg.export.bundle": "from pkg.maskrcnn.export import export_maskrcnn",
        "pkg.export.records": "",
        "pkg.maskrcnn": "",
        "pkg.maskrcnn.export": "from pkg.export.records import ModelExport",
    }
    assert cycles(graph(modules)) == [
        ["pkg.export", "pkg.export.bundle", "pkg.maskrcnn.export", "pkg.export"]]


def test_layered_imports_pass_and_the_hub_rule_catches_its_imports() -> None:
    modules = {
        "pkg": "from pkg.scene import run\n__version__ = '1'",
        "pkg.records": "",
        "pkg.scene": "from pkg.records import Tile",
        "pkg.cli": "from pkg.scene import run\nfrom pkg import __version__",
    }
    edges = graph(modules)
    assert cycles(edges) == []
    assert [(e.source, e.line) for e in hub_imports(edges)] == [("pkg.cli", 2)]
