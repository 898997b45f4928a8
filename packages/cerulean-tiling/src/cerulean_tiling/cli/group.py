"""The click group every Cerulean command line is built on.

All five CLIs (``cerulean-tiling``, ``-coco``, ``-infer``, ``-train``, ``-eval``) are one
of these groups with their own commands added: the same ``-h/--help``, ``--version``
and ``-v/--verbose`` (logging set up by :func:`~cerulean_tiling.cli.runner.configure_logging`),
and each package's ``main`` runs its group through
:func:`~cerulean_tiling.cli.runner.run_group`, so they fail the same way too.
"""

from __future__ import annotations

import click

from cerulean_tiling.cli.runner import configure_logging


def cli_group(prog_name: str, version: str, help: str) -> click.Group:
    """A package's top-level command group, before its commands are added.

    Args:
        prog_name: the console script's name (``cerulean-coco``), shown by ``--version``.
        version: the package's version (its ``version.py``).
        help: what the command line is for, shown by ``--help``.

    Returns:
        The group; ``-v`` counts (info, ``-vv`` debug) and configures logging before any
        of its commands runs.
    """

    @click.group(help=help, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(version, prog_name=prog_name)
    @click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
    def cli(verbose: int) -> None:
        configure_logging(verbose)

    return cli


__all__ = ["cli_group"]
