"""The command-line scaffold every Cerulean package's CLI is built on.

All five CLIs (``cerulean-tiling``, ``-coco``, ``-infer``, ``-train``, ``-eval``) are a
:func:`cli_group` with their own commands added: the same ``-h/--help``, ``--version``
and ``-v/--verbose`` (logging set up by :func:`configure_logging`). Each package's
``main`` runs its group through :func:`run_group`, so they fail the same way too:
usage errors exit 2, package errors (every package's error tree derives from
:class:`~cerulean_tiling.errors.CeruleanError`) and OS errors such as a full disk exit 1,
and both print one ``Error: <message>`` line with the file or value at fault, never a
traceback. Commands with long work take the one :data:`progress_option`.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Sequence

import click

from cerulean_tiling.errors import CeruleanError
from cerulean_tiling.paths import printable

_CLI_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


_OWN_LOGGERS = ("cerulean_tiling", "cerulean_coco", "cerulean_train", "cerulean_infer",
                "cerulean_eval")


class _OwnWarningsOnly(logging.Filter):
    """Let through our packages' records, and other libraries' errors only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or record.name.split(".")[0] in _OWN_LOGGERS


def configure_logging(verbosity: int) -> None:
    """Configure logging for a CLI run (-v: info, -vv: debug; our warnings by default).

    Without ``-v`` a command's stderr is for its user: our packages' warnings (a repaired
    polygon, an export checked without the serving runtime) and the one ``Error:`` line.
    Other libraries' log records below ERROR (rasterio's GDAL chatter, fastai's) and
    Python warnings (rasterio's ``NotGeoreferencedWarning`` before our own error about
    the same raster, torch's and fastai's deprecation notices) speak to developers and
    are not shown; ``-v`` shows them all. The filter sits on the stderr handler, not on
    the loggers, so code that captures records (tests) still sees every one.
    """
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(level=level, format=_CLI_LOG_FORMAT, stream=sys.stderr, force=True)
    if verbosity == 0:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_OwnWarningsOnly())
        warnings.simplefilter("ignore")


def run_group(group: click.Group, args: Sequence[str] | None, prog_name: str) -> int:
    """Invoke ``group`` with ``args``; map errors to one stderr line and an exit code.

    Every Cerulean package's errors derive from :class:`CeruleanError`, so one handler
    covers a command of any package, including what it meets in the packages below it.
    """
    try:
        result = group.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
        return exc.exit_code
    except CeruleanError as exc:
        click.echo(f"Error: {_one_line(str(exc))}", err=True)
        return 1
    except OSError as exc:
        click.echo(f"Error: {_one_line(str(exc))}", err=True)
        return 1
    return int(result) if isinstance(result, int) else 0


def _one_line(message: str) -> str:
    # A name from disk that is not UTF-8 must not turn the error line into a traceback.
    return " ".join(printable(message).split())


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


progress_option = click.option(
    "--progress/--no-progress", default=None,
    help="Show a progress bar (default: when stderr is a terminal).",
)
"""The one progress switch of every command with long work, in every package; passes
``progress`` (True, False, or None for "on a terminal", tqdm's ``disable=None``)."""


def tqdm_disable(progress: bool | None) -> bool | None:
    """tqdm's ``disable`` argument for a ``progress`` value of :data:`progress_option`."""
    return None if progress is None else not progress


def show_progress(progress: bool | None) -> bool:
    """Whether to show a bar, for a ``progress`` value of :data:`progress_option`.

    For library calls that take a plain flag rather than tqdm's ``disable``: None (no
    flag given) means a bar exactly when stderr is a terminal, as tqdm decides it.
    """
    return sys.stderr.isatty() if progress is None else progress


__all__ = ["cli_group", "configure_logging", "progress_option", "run_group", "show_progress",
           "tqdm_disable"]
