"""``cerulean-train export``: turn a finished run folder into a model bundle."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Bundle folder to write, conventionally NAME.bundle.")
@click.option("--onnx/--no-onnx", default=True, show_default=True,
              help="Also write model.onnx (UNet only; verified with onnxruntime).")
@click.option("--runtime", default="torch==2.0.1", show_default=True,
              help="Torch the TorchScript targets: torch==VERSION (the serving runtime; "
              "Mask R-CNN is scripted inside a venv with it) or 'workspace'.")
@click.option("--runtime-dir", type=click.Path(path_type=Path),
              help="Where serving-runtime venvs are created and reused.")
@click.option("--name", help="Model name in bundle.json and the model row (default: the "
              "bundle folder's stem).")
@click.option("--overwrite", is_flag=True, help="Replace an existing bundle.")
def export_command(run_dir: Path, output: Path, onnx: bool, runtime: str,
                   runtime_dir: Path | None, name: str | None, overwrite: bool) -> None:
    """Export RUN as a model bundle that cerulean-infer and the serving service load.

    The bundle holds model.ts (CPU, eval mode; a traced UNet or a scripted Mask R-CNN),
    weights.pt (state dict, loadable with weights_only=True), bundle.json, the serving
    model row cerulean-cloud-model.json and, for a UNet, optionally model.onnx. The
    exported model is checked against the eager one on sample tiles before the bundle
    appears; it appears complete or not at all.

    \b
    Examples:
      cerulean-train export runs/unet -o models/unet-demo.bundle
      cerulean-train export runs/unet -o models/unet.bundle --no-onnx --overwrite
      cerulean-train export runs/maskrcnn -o models/mrcnn.bundle --runtime torch==2.0.1
    """
    from cerulean_train.export import export_bundle

    result = export_bundle(run_dir, output, onnx=onnx, runtime=runtime,
                           runtime_dir=runtime_dir, name=name, overwrite=overwrite)
    files = sorted(p.name for p in result.bundle.iterdir())
    click.echo(f"{result.bundle}: {result.manifest.arch} {result.manifest.backbone}, "
               f"{len(result.manifest.classes)} classes, {', '.join(files)}; "
               + "; ".join(result.checks))


__all__ = ["export_command"]
