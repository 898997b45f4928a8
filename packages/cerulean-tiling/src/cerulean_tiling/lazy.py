"""Names a package exports but imports on first use (PEP 562 module ``__getattr__``).

A package whose heavy parts (torch, fastai, shapely) should not load when a service
only imports its light records lists those names with the module that defines each,
and sets ``__getattr__ = lazy_attributes(__name__, table)``; ``from pkg import Name``
and ``pkg.Name`` then import the defining module the first time the name is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that loads each name of ``table`` from its module.

    Args:
        package: the package's ``__name__``, for the error of an unknown name.
        table: exported name -> the dotted module that defines it.

    Returns:
        The function to bind as the package's ``__getattr__``; a name outside ``table``
        raises the AttributeError Python would.
    """

    def load(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return load


__all__ = ["lazy_attributes"]
