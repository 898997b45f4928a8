"""``cerulean-train runtime``: the serving-runtime venv that Mask R-CNN exports script in."""

from __future__ import annotations

from pathlib import Path

import click

from cerulean_train.runtime import DEFAULT_RUNTIME

_runtime_option = click.option(
    "--runtime", "runtime", default=DEFAULT_RUNTIME, show_default=True,
    help="The runtime: torch==VERSION (with its torchvision).")
_dir_option = click.option(
    "--runtime-dir", type=click.Path(path_type=Path, file_okay=False),
    help="Where runtime venvs live [default: $CERULEAN_RUNTIME_DIR, else "
         "~/.cache/cerulean-ml/runtimes].")


@click.group("runtime")
def runtime() -> None:
    """The serving runtime (torch 2.0.1 / torchvision 0.15.2 in a venv of its own).

    A Mask R-CNN scripted by a newer torch does not load in the serving service, so
    `cerulean-train export` scripts and checks it inside this venv, created on first
    use (pip, about 4 GB) and reused after.
    """


@runtime.command("ensure")
@_runtime_option
@_dir_option
@click.option("--progress/--no-progress", default=True, help="Show pip's progress.")
def ensure(runtime: str, runtime_dir: Path | None, progress: bool) -> None:
    """Create the runtime venv unless it exists; print its folder."""
    from cerulean_train.runtime import RuntimeTarget, ensure_runtime

    target = RuntimeTarget.parse(runtime)
    env = ensure_runtime(target, runtime_dir, progress=progress)
    click.echo(f"{env.path} (torch {env.torch}, torchvision {env.torchvision})")


@runtime.command("path")
@_runtime_option
@_dir_option
def path(runtime: str, runtime_dir: Path | None) -> None:
    """Print where the runtime venv is and whether it is complete (exit 1 if not)."""
    from cerulean_train.runtime import RuntimeTarget, find_runtime, runtime_path

    target = RuntimeTarget.parse(runtime)
    env = find_runtime(target, runtime_dir)
    if env is None:
        click.echo(f"{runtime_path(target, runtime_dir)} (not created; run "
                   "`cerulean-train runtime ensure`)")
        raise click.exceptions.Exit(1)
    click.echo(f"{env.path} (torch {env.torch}, torchvision {env.torchvision})")


__all__ = ["runtime"]
