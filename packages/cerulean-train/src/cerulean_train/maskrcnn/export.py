"""Export a trained Mask R-CNN: a ``model.ts`` scripted and verified in the serving runtime.

``cerulean-train export`` stages the bundle and calls :func:`export_maskrcnn` for the
TorchScript. The eager model is rebuilt here from the run's config and ``weights.pt``
and run on sample tiles (the first validation tiles; seeded noise when the validation
set is gone). Then the serving-runtime script, run with the runtime's Python, rebuilds
the same model from the same constructor arguments, loads ``weights.pt``
(``weights_only=True``),
scripts it, saves ``model.ts``, loads that back with ``torch.jit.load(...,
map_location="cpu")`` and compares ``model(tiles)[1]`` with the eager detections: same
number of detections, same labels, boxes/scores/masks within tolerance. Any
disagreement fails the export with one line.

``runtime="workspace"`` scripts with this process's torch instead: quick, for tests and
demos, but such a ``model.ts`` does not load in the serving runtime (torch 2.0.1), and
the bundle's ``runtime`` field says which torch made it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import torch

from cerulean_infer import Runtime
from cerulean_train.config import read_run_config
from cerulean_train.data.channels import read_channels
from cerulean_train.errors import ExportError
from cerulean_train.export.bundle import ModelExport
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.model import build
from cerulean_train.run import RunFolder
from cerulean_train.runtime import DEFAULT_RUNTIME, RuntimeTarget, ensure_runtime, run_job
from cerulean_train.statedict import load_fitting

logger = logging.getLogger(__name__)

TOLERANCE = 1e-4
"""Largest score / mask-probability difference between scripted and eager outputs
(boxes: 100× this, in pixels)."""


def sample_tiles(config: MaskRCNNConfig, count: int = 4) -> list[torch.Tensor]:
    """Up to ``count`` validation tiles as the model takes them (seeded noise when the
    validation dataset is gone)."""
    root = Path(config.val)
    if config.val and (root / "annotations.json").is_file():
        from cerulean_coco import CocoDataset

        coco = CocoDataset.open(root)
        tiles = [torch.from_numpy(read_channels(coco.tile_path(image), config.channels))
                 .float().div_(255) for image in coco.images[:count]]
        if tiles:
            return tiles
    logger.warning("%s: no validation tiles; comparing on seeded noise", config.val)
    generator = torch.Generator().manual_seed(config.seed)
    return [torch.rand((3, config.size, config.size), generator=generator)
            for _ in range(count)]


def export_maskrcnn(run_dir: Path, staged: Path, runtime: str = DEFAULT_RUNTIME, *,
                    runtime_dir: Path | None = None, samples: int = 4,
                    progress: bool = False) -> ModelExport:
    """Script a finished run's Mask R-CNN into ``staged/model.ts`` and verify it.

    Args:
        run_dir: a finished Mask R-CNN run folder.
        staged: the bundle folder being staged (the caller writes ``weights.pt``,
            ``bundle.json`` and the model row next to ``model.ts``).
        runtime: ``torch==2.0.1`` (the serving runtime; its venv is created on first
            use, a large download) or ``workspace``.
        runtime_dir: where runtime venvs live (see :func:`cerulean_train.runtime.runtime_root`).
        samples: how many tiles the scripted and eager models are compared on.
        progress: show pip's progress if the runtime venv has to be created.

    Raises:
        CheckpointError: the run has not finished, or its weights are unreadable.
        ExportError: scripting failed, or the scripted model disagrees with the eager one.
        RuntimeEnvError: the runtime venv cannot be created or run.
    """
    target = RuntimeTarget.parse(runtime)
    config = read_run_config(run_dir)
    if not isinstance(config, MaskRCNNConfig):
        raise ExportError(f"{run_dir}: a {config.arch} run, not a Mask R-CNN one")
    folder = RunFolder(run_dir)
    summary = folder.read_summary()
    spec = config.model_spec(len(summary["classes"]))
    weights = RunFolder.load_checkpoint_weights(folder.weights)
    model = build(spec)
    load_fitting(model, weights, folder.weights, f"the run's Mask R-CNN ({config.backbone})",
                 ExportError)
    model.eval()
    tiles = sample_tiles(config, samples)
    with torch.no_grad():
        expected = [{k: v.detach() for k, v in d.items()} for d in model(tiles)]
    env = None if target.torch is None else ensure_runtime(target, runtime_dir,
                                                            progress=progress)
    with tempfile.TemporaryDirectory(prefix="cerulean-export-") as tmp:
        weights_path = Path(tmp) / "weights.pt"
        samples_path = Path(tmp) / "samples.pt"
        torch.save(model.state_dict(), weights_path)
        torch.save({"inputs": tiles, "expected": expected}, samples_path)
        result = run_job(env, {"mode": "script-maskrcnn", "spec": spec.to_json(),
                               "weights": str(weights_path), "samples": str(samples_path),
                               "output": str(staged / "model.ts"), "atol": TOLERANCE})
    if not result["ok"]:
        raise ExportError(f"{run_dir}: export in runtime {target} failed: {result['error']}")
    version = str(result["torch"]).split("+")[0]
    check = (f"model.ts scripted in torch {version} == eager on {len(tiles)} tiles "
             f"({sum(result['detections'])} detections)")
    return ModelExport(
        runtime=Runtime(torch=version, torchvision=str(result["torchvision"]).split("+")[0],
                        verified=True),
        checks=(check,))


__all__ = ["TOLERANCE", "export_maskrcnn", "sample_tiles"]
