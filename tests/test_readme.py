"""Every command the README shows exists and accepts the options it is shown with.

The README's commands are what a newcomer copies. This test reads every shell block of
README.md and every package README, and for each ``cerulean-*`` command line checks
that its subcommand exists (its ``--help`` exits 0) and that every ``--option`` the line
uses is one that ``--help`` lists. The commands that need no network or GPU also run for
real: the end-to-end pipeline test (``tests/test_pipeline.py``) runs the demo, which
runs them on synthetic scenes.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
READMES = [REPO / "README.md", *sorted((REPO / "packages").glob("*/README.md"))]
TOOLS = ("cerulean-tiling", "cerulean-coco", "cerulean-train", "cerulean-infer",
         "cerulean-eval")
_BLOCK = re.compile(r"^```(?:bash|sh|shell|console)?\n(.*?)^```", re.S | re.M)


def _command_lines(text: str) -> list[str]:
    """Shell command lines of the fenced blocks, with continuations joined."""
    lines: list[str] = []
    for block in _BLOCK.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip().removeprefix("$ ")
            if line.startswith(TOOLS) or re.match(r"^torchrun .*-m cerulean_", line):
                lines.append(line)
    return lines


def _cases() -> list[tuple[str, str]]:
    return [(readme.relative_to(REPO).as_posix(), line)
            for readme in READMES for line in _command_lines(readme.read_text())]


@cache
def _help(tool: str, subcommand: tuple[str, ...]) -> str:
    module = tool.replace("-", "_")
    completed = subprocess.run(
        [sys.executable, "-m", module, *subcommand, "--help"],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, f"{tool} {subcommand} --help: {completed.stderr}"
    return completed.stdout


def _commands(help_text: str) -> set[str]:
    """The subcommands a group's --help lists under "Commands:"."""
    _, _, section = help_text.partition("\nCommands:\n")
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ")}


def _parse(line: str) -> tuple[str, tuple[str, ...], list[str]]:
    """The tool, its (nested) subcommand and the options a README line uses."""
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))
    if words[0] == "torchrun":
        index = words.index("-m")
        tool, rest = words[index + 1].replace("_", "-"), words[index + 2:]
    else:
        tool, rest = words[0], words[1:]
    path: tuple[str, ...] = ()
    for word in rest:
        if word.startswith("-") or word not in _commands(_help(tool, path)):
            break
        path = (*path, word)
    options = [w.split("=", 1)[0] for w in rest if w.startswith("--")]
    return tool, path, options


def test_readmes_show_commands() -> None:
    assert len(_cases()) >= 20, "the READMEs should show the CLIs with examples"


@pytest.mark.parametrize(("readme", "line"), _cases())
def test_readme_command_is_accepted(readme: str, line: str) -> None:
    tool, subcommand, options = _parse(line)
    assert tool in TOOLS, f"{readme}: unknown tool in {line!r}"
    assert subcommand, f"{readme}: no subcommand of {tool} in {line!r}"
    text = _help(tool, subcommand)
    listed = set(re.findall(r"--[a-z0-9][a-z0-9-]*", text))
    for option in options:
        if option.startswith("--no-") and f"--{option[5:]}" in listed:
            continue
        assert option in listed, \
            f"{readme}: {option} is not an option of {tool} {' '.join(subcommand)}"
