"""Export a trained Mask R-CNN: a ``model.ts`` scripted and verified in the serving runtime.

``cerulean-train export`` stages the bundle and calls :func:`export_maskrcnn` for the
TorchScript. The eager model is rebuilt here from the run's config and ``weights.pt``
and run on sample tiles (:func:`~cerulean_train.export.samples.sample_tiles`: the first
validation tiles; seeded noise, with a warning, when the validation set is gone). Then
the serving-runtime script, run with the runtime's Python, rebuilds the same model from
the same constructor arguments, loads ``weights.pt`` (``weights_only=True``), scripts
it, saves ``model.ts``, loads that back with ``torch.jit.load(...,
map_location="cpu")`` and compares ``model(tiles)[1]`` with the eager detections: same
number of detections, same labels, boxes/scores/masks within tolerance. Any
disagreement fails the export with one line.

``runtime="workspace"`` scripts with this process's torch instead: quick, for tests and
demos, but such a ``model.ts`` does not load in the serving runtime (torch 2.0.1), and
the bundle's ``runtime`` field says which torch made it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from cerulean_infer import Runtime
from cerulean_train.errors import ExportError
from cerulean_train.export.records import ExportRequest, ModelExport
from cerulean_train.export.samples import sample_tiles
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.model import build
from cerulean_train.runtime import RuntimeTarget, ensure_runtime, run_job
from cerulean_train.statedict import load_fitting

TOLERANCE = 1e-4
"""Largest score / mask-probability difference between scripted and eager outputs
(boxes: 100× this, in pixels)."""
SAMPLES = 4
"""Tiles the scripted model is compared with the eager one on."""


def export_maskrcnn(request: ExportRequest) -> ModelExport:
    """Script a finished run's Mask R-CNN into ``model.ts`` in the staged bundle and verify
    it, in the request's runtime: ``torch==2.0.1`` (the serving runtime; its venv is
    created on first use, a large download) or ``workspace``.

    Raises:
        ExportError: not a Mask R-CNN run, the weights do not fit, scripting failed, or
            the scripted model disagrees with the eager one.
        RuntimeEnvError: the runtime venv cannot be created or run.
    """
    target = RuntimeTarget.parse(request.runtime)
    config, run_dir = request.config, request.run_dir
    if not isinstance(config, MaskRCNNConfig):
        raise ExportError(f"{run_dir}: a {config.arch} run, not a Mask R-CNN one")
    spec = config.model_spec(request.n_classes)
    model = build(spec)
    load_fitting(model, request.state, request.weights,
                 f"the run's Mask R-CNN ({config.backbone})", ExportError)
    model.eval()
    tiles = list(sample_tiles(config, SAMPLES, request.tile_size))
    with torch.no_grad():
        expected = [{k: v.detach() for k, v in d.items()} for d in model(tiles)]
    env = None if target.torch is None else ensure_runtime(target, request.runtime_dir)
    with tempfile.TemporaryDirectory(prefix="cerulean-export-") as tmp:
        weights_path = Path(tmp) / "weights.pt"
        samples_path = Path(tmp) / "samples.pt"
        torch.save(model.state_dict(), weights_path)
        torch.save({"inputs": tiles, "expected": expected}, samples_path)
        result = run_job(env, {"mode": "script-maskrcnn", "spec": spec.to_json(),
                               "weights": str(weights_path), "samples": str(samples_path),
                               "output": str(request.staged / "model.ts"),
                               "atol": TOLERANCE})
    if not result["ok"]:
        raise ExportError(f"{run_dir}: export in runtime {target} failed: {result['error']}")
    version = str(result["torch"]).split("+")[0]
    check = (f"model.ts scripted in torch {version} == eager on {len(tiles)} tiles "
             f"({sum(result['detections'])} detections)")
    return ModelExport(
        runtime=Runtime(torch=version, torchvision=str(result["torchvision"]).split("+")[0],
                        verified=True),
        checks=(check,))


__all__ = ["SAMPLES", "TOLERANCE", "export_maskrcnn"]
