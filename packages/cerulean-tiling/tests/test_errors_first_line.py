"""first_line: another library's exception message as the one line our errors quote."""

from __future__ import annotations

from cerulean_tiling.errors import first_line


def test_the_first_non_blank_line_or_a_fallback() -> None:
    assert first_line(ValueError("\n  bad header\nat byte 12\n")) == "bad header"
    assert first_line(KeyError()) == "KeyError"
    assert first_line(OSError(""), "unreadable") == "unreadable"
