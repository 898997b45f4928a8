"""Run a click group so that every failure is one line on stderr and a non-zero exit.

Shared by the CLIs of every Cerulean package: usage errors exit 2, package errors
(and OS errors such as a full disk) exit 1, and both print ``Error: <message>`` with
the file or value at fault, never a traceback.
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
