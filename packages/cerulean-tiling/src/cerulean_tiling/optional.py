"""Guarded imports of optional dependencies, with the extra to install in the message.

The base install stays small: eodag, requests and boto3 come with the ``fetch`` extra
(``pip install "cerulean-tiling[fetch]"``) and are imported only when a command needs them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from cerulean_tiling.errors import MissingExtraError


def import_optional(module: str, extra: str = "fetch") -> ModuleType:
    """Import ``module``, or explain which extra of cerulean-tiling provides it.

    Raises:
        MissingExtraError: the module is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is needed for this and is not installed ({exc.msg}); "
            f'install it with: pip install "cerulean-tiling[{extra}]"'
        ) from None


__all__ = ["import_optional"]
