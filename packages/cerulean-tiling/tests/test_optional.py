"""Guarded imports name the extra to install."""

from __future__ import annotations

import pytest

from cerulean_tiling.errors import CeruleanTilingError, MissingExtraError
from cerulean_tiling.optional import import_optional


def test_present_module_is_returned() -> None:
    assert import_optional("json").dumps([1]) == "[1]"


def test_missing_module_names_the_extra() -> None:
    extra = r'pip install "cerulean-tiling\[fetch\]"'
    with pytest.raises(MissingExtraError, match=extra) as caught:
        import_optional("cerulean_no_such_module")
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, CeruleanTilingError)
    assert "cerulean_no_such_module" in str(caught.value)
