"""Export a trained Mask R-CNN into a bundle folder: ``weights.pt`` and a verified ``model.ts``.

The eager model is rebuilt here from the run's ``model.json`` and ``best.pt`` and run on
sample tiles (the first validation tiles; seeded noise when the validation set is gone).
Then the serving-runtime script, run with the runtime's Python, rebuilds the same model
from the same constructor arguments, loads ``weights.pt`` (``weights_only=True``),
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

from cerulean_coco import CocoDataset
from cerulean_infer import BundleManifest, Runtime
from cerulean_train import __version__
from cerulean_train.config import read_run_config
from cerulean_train.data.instances import InstanceDataset
from cerulean_train.errors import CeruleanTrainError, ExportError
from cerulean_train.maskrcnn import run
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.model import build
from cerulean_train.runtime import (
    DEFAULT_RUNTIME,
    RuntimeTarget,
    ensure_runtime,
    run_job,
)

logger = logging.getLogger(__name__)

POSTPROCESS = "maskrcnn-serving"
TOLERANCE = 1e-4
"""Largest score / mask-probability difference between scripted and eager outputs
(boxes: 100× this, in pixels)."""


def sample_tiles(config: MaskRCNNConfig, record: run.ModelRecord, count: int,
                 ) -> list[torch.Tensor]:
    """Up to ``count`` validation tiles as the model takes them (seeded noise when the
    validation dataset cannot be read)."""
    try:
        val = InstanceDataset(CocoDataset.open(config.val), record.channels, record.classes,
                              size=config.size, seed=config.seed, min_area=config.min_area)
        return [val[i][0] for i in range(min(count, len(val)))]
    except CeruleanTrainError:
        raise
    except Exception as exc:
        logger.warning("sample tiles from noise: %s", exc)
        generator = torch.Generator().manual_seed(config.seed)
        return [torch.rand((3, config.size, config.size), generator=generator)
                for _ in range(count)]


def export_maskrcnn(run_dir: Path, folder: Path, *, name: str,
                    runtime: str = DEFAULT_RUNTIME, runtime_dir: Path | None = None,
                    samples: int = 4, progress: bool = False) -> BundleManifest:
    """Write ``weights.pt`` and a verified ``model.ts`` of a run into ``folder``.

    Args:
        run_dir: a finished (or stopped) Mask R-CNN run folder.
        folder: the bundle folder being staged (exists, and is the caller's to commit).
        name: the model's name for ``bundle.json``.
        runtime: ``torch==2.0.1`` (the serving runtime; its venv is created on first
            use, a large download) or ``workspace``.
        runtime_dir: where runtime venvs live (see :func:`cerulean_train.runtime.runtime_root`).
        samples: how many tiles the scripted and eager models are compared on.
        progress: show pip's progress if the runtime venv has to be created.

    Returns:
        The bundle's manifest (the caller writes ``bundle.json`` and the model row).

    Raises:
        CheckpointError: the run folder lacks its model record or best weights.
        ExportError: scripting failed, or the scripted model disagrees with the eager one.
        RuntimeEnvError: the runtime venv cannot be created or run.
    """
    target = RuntimeTarget.parse(runtime)
    config = read_run_config(run_dir)
    if not isinstance(config, MaskRCNNConfig):
        raise ExportError(f"{run_dir}: a {config.arch} run, not a Mask R-CNN one")
    record = run.ModelRecord.read(run_dir)
    weights = run.load(run_dir / run.BEST, "best weights")
    model = build(record.spec)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise ExportError(f"{run_dir / run.BEST}: does not fit {run.MODEL_JSON} "
                          f"({str(exc).splitlines()[0]})") from None
    model.eval()
    tiles = sample_tiles(config, record, samples)
    with torch.no_grad():
        expected = [{k: v.detach() for k, v in d.items()} for d in model(tiles)]
    env = None if target.torch is None else ensure_runtime(target, runtime_dir,
                                                            progress=progress)
    weights_path = folder / "weights.pt"
    run.save(weights, weights_path, "weights")
    with tempfile.TemporaryDirectory(prefix="cerulean-export-") as tmp:
        samples_path = Path(tmp) / "samples.pt"
        torch.save({"inputs": tiles, "expected": expected}, samples_path)
        result = run_job(env, {"mode": "script-maskrcnn", "spec": record.spec.to_json(),
                               "weights": str(weights_path), "samples": str(samples_path),
                               "output": str(folder / "model.ts"), "atol": TOLERANCE})
    if not result["ok"]:
        raise ExportError(f"{run_dir}: export in runtime {target} failed: {result['error']}")
    logger.info("model.ts scripted and verified in torch %s on %d tiles (%s detections)",
                result["torch"], len(tiles), result["detections"])
    return _manifest(name, config, record, run_dir, result)


def _manifest(name: str, config: MaskRCNNConfig, record: run.ModelRecord, run_dir: Path,
              result: dict[str, object]) -> BundleManifest:
    history = run.load(run_dir / run.CHECKPOINT, "checkpoint")
    best_epoch = int(history["best_epoch"])
    best = history["history"][best_epoch - 1] if best_epoch else {}
    metrics = {k: float(best[k]) for k in ("val_loss", "segm_ap", "segm_ap50") if k in best}
    grid, zoom = _grid(config)
    import torchvision

    return BundleManifest(
        name=name, arch="maskrcnn", backbone=record.spec.backbone,
        classes=record.classes.names, category_ids=record.classes.category_ids,
        class_preset=record.classes.preset, channels=record.channels,
        postprocess=POSTPROCESS,
        runtime=Runtime(torch=str(result["torch"]).split("+")[0],
                        torchvision=str(result["torchvision"]).split("+")[0], verified=True),
        tile_size=config.size, grid=grid, zoom=zoom,
        training={"epochs": int(history["epoch"]), "best_epoch": best_epoch,
                  "stopped_early": bool(history["stopped_early"]), "train": config.train,
                  "val": config.val, "seed": config.seed, "config": config.to_dict(),
                  "model": record.spec.to_json()},
        metrics={k: v for k, v in metrics.items() if v == v},
        versions={"cerulean-train": __version__, "torch": torch.__version__,
                  "torchvision": torchvision.__version__},
    )


def _grid(config: MaskRCNNConfig) -> tuple[str, int]:
    """The tile grid and zoom of the training tiles (tms tiles carry their zoom)."""
    try:
        image = CocoDataset.open(config.train).images[0]
    except Exception:
        return "tms", 9
    if image.grid == "tms" and image.tile_index:
        return "tms", int(image.tile_index[0])
    return image.grid, 9


__all__ = ["POSTPROCESS", "TOLERANCE", "export_maskrcnn", "sample_tiles"]
