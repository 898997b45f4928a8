"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

output_folder = click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write (appears only when complete).",
)
overwrite = click.option(
    "--overwrite", is_flag=True, help="Replace the output if it exists.",
)
no_progress = click.option(
    "--no-progress", is_flag=True, help="Do not show a progress bar.",
)
dataset_in = click.argument("dataset", type=click.Path(path_type=Path))


__all__ = ["dataset_in", "no_progress", "output_folder", "overwrite"]
