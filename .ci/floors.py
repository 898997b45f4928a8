"""Print a pip constraints file pinning every dependency to the floor a package declares.

Usage: ``python .ci/floors.py packages/cerulean-tiling[test] packages/cerulean-infer[onnx,test]``

For the packages named (each with the extras to include), every third-party requirement
of ``[project] dependencies`` and of those extras is written as ``name==floor``, its
``>=`` bound: installing the packages with ``pip install -c`` of this file resolves each
direct dependency at its lowest declared release (and the rest as pip would), so their
tests show whether the declared floors are true. Sibling ``cerulean-*`` packages are
installed from the checkout and skipped. It fails (naming the requirement) when a
requirement has no ``>=`` floor, or when two of the packages declare different floors
for one dependency: the higher would hide the lower, which then goes untested.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_ARGUMENT = re.compile(r"^(?P<path>[^\[\]]+)(\[(?P<extras>[^\]]*)\])?$")


def requirements(argument: str) -> tuple[str, list[Requirement]]:
    """The project name and the requirements of ``path[extra,...]`` that apply here."""
    match = _ARGUMENT.match(argument)
    if match is None:
        raise SystemExit(f"{argument}: not PATH or PATH[EXTRA,...]")
    project = tomllib.loads((Path(match["path"]) / "pyproject.toml").read_text())["project"]
    extras = [e.strip() for e in (match["extras"] or "").split(",") if e.strip()]
    texts = list(project.get("dependencies", []))
    for extra in extras:
        if extra not in project.get("optional-dependencies", {}):
            raise SystemExit(f"{argument}: {project['name']} has no extra {extra!r}")
        texts += project["optional-dependencies"][extra]
    chosen = [Requirement(t) for t in texts]
    return project["name"], [r for r in chosen if r.marker is None or r.marker.evaluate()]


def floors(arguments: list[str]) -> dict[str, tuple[str, str]]:
    """``{dependency: (floor, declaring package)}`` over the packages named."""
    found: dict[str, tuple[str, str]] = {}
    for argument in arguments:
        project, reqs = requirements(argument)
        for req in reqs:
            name = canonicalize_name(req.name)
            if name.startswith("cerulean-"):
                continue
            lower = [s.version for s in req.specifier if s.operator == ">="]
            if len(lower) != 1:
                raise SystemExit(f"{project}: {req} has no single >= floor")
            if name in found and found[name][0] != lower[0]:
                raise SystemExit(f"{name}: {found[name][1]} declares >={found[name][0]}, "
                                 f"{project} >={lower[0]}; one run can test only one")
            found[name] = (lower[0], project)
    return found


def main(arguments: list[str]) -> None:
    if not arguments:
        raise SystemExit(__doc__)
    for name, (floor, project) in sorted(floors(arguments).items()):
        print(f"{name}=={floor}  # {project}")


if __name__ == "__main__":
    main(sys.argv[1:])
