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
dataset_in = click.argument("dataset", type=click.Path(path_type=Path))


__all__ = ["dataset_in", "output_folder", "overwrite"]
