"""``cerulean-infer info``: what a bundle holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cerulean_infer.bundle import MODEL_ONNX, MODEL_TS, SERVING_ROW, WEIGHTS, BundleManifest
from cerulean_infer.presets import preset


@click.command()
@click.argument("bundle", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print bundle.json as JSON.")
def info(bundle: Path, as_json: bool) -> None:
    """Describe BUNDLE: model, classes, channels, grid, preset, files and the trainer's
    validation numbers (cerulean-eval measures what a serving row reports)."""
    manifest = BundleManifest.read(bundle)
    if as_json:
        click.echo(json.dumps(manifest.to_json(), indent=2))
        return
    chosen = preset(manifest.postprocess)
    thresholds = ", ".join(f"{k}={v}" for k, v in chosen.serving_thresholds().items())
    lines = [
        f"bundle:     {bundle}",
        f"model:      {manifest.name} ({manifest.arch}, {manifest.backbone})",
        f"classes:    {', '.join(manifest.classes)}",
        f"channels:   {', '.join(manifest.channels)} (× {manifest.input_scale:.6g})",
        f"grid:       {manifest.grid}, zoom {manifest.zoom}, {manifest.tile_size} px tiles",
        f"preset:     {chosen.name} ({thresholds})",
        f"runtime:    torch {manifest.runtime.torch} / torchvision "
        f"{manifest.runtime.torchvision}{' (verified)' if manifest.runtime.verified else ''}",
    ]
    for name in (MODEL_TS, MODEL_ONNX, WEIGHTS, SERVING_ROW):
        path = bundle / name
        size = f"{path.stat().st_size:,} bytes" if path.is_file() else "absent"
        lines.append(f"{name + ':':<26}{size}")
    for key, value in sorted(manifest.metrics.items()):
        lines.append(f"training validation {key}: {value:.4g}")
    click.echo("\n".join(lines))


__all__ = ["info"]
