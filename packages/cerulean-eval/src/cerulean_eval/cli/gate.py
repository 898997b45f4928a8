"""The ``gate`` command: may a candidate model replace a baseline?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cerulean_coco import CocoDataset
from cerulean_eval.checks import check_output
from cerulean_eval.cli.options import config_from, eval_options, preset_from
from cerulean_eval.errors import ConfigError
from cerulean_eval.gate import GATE_FAILED, GATED, GateSettings, decide
from cerulean_eval.gate_inputs import SideSpec, gate_sides
from cerulean_eval.gate_report import GATE_MD, write_gate
from cerulean_eval.metrics.scenes import INTERVAL_METRICS
from cerulean_eval.run import RunOptions
from cerulean_infer import device_options
from cerulean_tiling.command_line import show_progress

_ROW = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("gate")
@click.argument("candidate", type=click.Path(exists=True, path_type=Path))
@click.argument("baseline", type=click.Path(exists=True, path_type=Path))
@click.option("--candidate-row", type=_ROW, default=None,
              help="The candidate's serving row (a bare TorchScript file needs one).")
@click.option("--baseline-row", type=_ROW, default=None,
              help="The baseline's serving row (e.g. production's model row).")
@click.option("--coco", "coco", type=click.Path(exists=True, path_type=Path), default=None,
              help="Test dataset the models are scored on (needed when a side is a model; "
                   "an evaluation folder beside it must be of the same dataset).")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(INTERVAL_METRICS),
              help=f"A metric that must pass (repeatable; default {', '.join(GATED)}).")
@click.option("--margin", type=float, default=0.0, show_default=True,
              help="Loss the candidate may have on each metric (0: it must be at least as "
                   "good on the scenes' evidence).")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="One-sided error rate: the bound is the alpha quantile of the paired "
                   "bootstrap difference.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Tiles per model call.")
@device_options
@eval_options
def gate_command(candidate: Path, baseline: Path, candidate_row: Path | None,
                 baseline_row: Path | None, coco: Path | None, metrics: tuple[str, ...],
                 margin: float, alpha: float, batch_size: int, device: str, backend: str,
                 **options: Any) -> None:
    """Decide whether CANDIDATE may replace BASELINE: exit 0 to promote, 3 not to.

    Each side is an evaluation folder (cerulean-eval run or score output) or a model (a
    bundle, or a TorchScript file with --candidate-row/--baseline-row) that the gate
    scores on --coco as cerulean-eval run does. Both must be of the same scenes, classes
    and match Dice. A paired bootstrap over scenes (--bootstrap resamples, --seed) gives
    the difference candidate − baseline of each metric; a metric passes when the lower
    bound of its one-sided (1 − alpha) interval is at least −margin. Writes gate.json,
    gate.md, gate.html (both models per class and per scene) and, for models, their
    evaluation folders into -o DIR, and prints the verdict. Exit 1 and 2: bad data, usage.

    Example: cerulean-eval gate eval/unet-new eval/production -o gate/unet-new
    """
    output, overwrite = options.pop("output"), options.pop("overwrite")
    check_output(output, overwrite)
    class_preset = preset_from(options.pop("preset"))
    progress = options.pop("progress")
    config = config_from(options)
    try:
        settings = GateSettings(metrics or GATED, margin, alpha, config.bootstrap, config.seed)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    run = RunOptions(class_preset=class_preset, batch_size=batch_size, device=device,
                     backend=backend,
                     progress=show_progress(progress))
    specs = (SideSpec("candidate", candidate, candidate_row),
             SideSpec("baseline", baseline, baseline_row))
    for spec in specs:
        if spec.is_evaluation and spec.row is not None:
            raise click.BadParameter(f"{spec.path} is an evaluation folder, scored with its "
                                     "own row", param_hint=f"--{spec.role}-row")
    dataset = CocoDataset.open(coco) if coco is not None else None
    sides = gate_sides(specs, dataset, config, run)
    verdict = decide(sides[0].names, sides[0].scenes, sides[1].scenes, settings)
    write_gate(verdict, *sides, output, overwrite=overwrite)
    click.echo(verdict.line(sides[0].label, sides[1].label))
    click.echo(f"report → {output / GATE_MD}")
    if not verdict.passed:
        raise click.exceptions.Exit(GATE_FAILED)


__all__ = ["gate_command"]
