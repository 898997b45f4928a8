"""The scaffold every package's CLI is built on: ``cli_group`` and ``run_group``.

A group built here stands in for a sibling package's CLI; its commands raise what a
sibling's library would (an error class of that package's own tree, under the shared
root), so the runner is checked without importing any other package.
"""

from __future__ import annotations

import logging

import click
import pytest

from cerulean_tiling import CeruleanError, CeruleanTilingError
from cerulean_tiling.command_line import cli_group, run_group


class SiblingError(CeruleanError, ValueError):
    """A root of another package's tree, as cerulean-coco's is."""


class SiblingOutputError(SiblingError, OSError):
    """A leaf of that tree."""


def _group() -> click.Group:
    group = cli_group("cerulean-sibling", "9.8.7", "Do sibling things.")

    @group.command("fail")
    @click.argument("kind")
    def fail(kind: str) -> None:
        errors: dict[str, Exception] = {
            "tiling": CeruleanTilingError("scene.png: unreadable"),
            "sibling": SiblingError("data.json:\n  bad  value"),
            "leaf": SiblingOutputError("out/: exists"),
            "os": PermissionError("out/: permission denied"),
        }
        raise errors[kind]

    @group.command("level")
    def level() -> None:
        click.echo(logging.getLevelName(logging.getLogger().level))

    return group


@pytest.mark.parametrize(("kind", "line"), [
    ("tiling", "Error: scene.png: unreadable"),
    ("sibling", "Error: data.json: bad value"),
    ("leaf", "Error: out/: exists"),
    ("os", "Error: out/: permission denied"),
])
def test_any_package_error_is_one_line_and_exit_1(
        kind: str, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_group(_group(), ["fail", kind], prog_name="cerulean-sibling") == 1
    assert capsys.readouterr().err.splitlines() == [line]


def test_an_error_outside_the_root_is_not_swallowed() -> None:
    group = cli_group("cerulean-sibling", "9.8.7", "Do sibling things.")

    @group.command("bug")
    def bug() -> None:
        raise KeyError("a programming error keeps its traceback")

    with pytest.raises(KeyError):
        run_group(group, ["bug"], prog_name="cerulean-sibling")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_group(_group(), ["nope"], prog_name="cerulean-sibling") == 2
    assert capsys.readouterr().err.startswith("Error: No such command 'nope'")


def test_help_version_and_verbosity(capsys: pytest.CaptureFixture[str]) -> None:
    group = _group()
    assert run_group(group, ["-h"], prog_name="cerulean-sibling") == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Usage: cerulean-sibling [OPTIONS] COMMAND")
    assert "Do sibling things." in shown and "-v, --verbose" in shown and "--version" in shown
    assert run_group(group, ["--version"], prog_name="cerulean-sibling") == 0
    assert capsys.readouterr().out == "cerulean-sibling, version 9.8.7\n"
    for flags, name in ((["-v"], "INFO"), (["-vv"], "DEBUG"), (["-vvv"], "DEBUG"),
                        ([], "WARNING")):
        assert run_group(group, [*flags, "level"], prog_name="cerulean-sibling") == 0
        assert capsys.readouterr().out == f"{name}\n"
