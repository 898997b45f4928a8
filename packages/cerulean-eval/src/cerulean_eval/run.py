"""Evaluating a model: its slicks as served, on a dataset's tiles, scene by scene.

:func:`prepare_run` does every cheap check (output folder, model files and row, dataset
grid and channels, classes, thresholds) and reads nothing heavier than JSON. Then
:func:`evaluate_model` runs the model over each scene's dataset tiles, stitches them on
their grid and post-processes them with cerulean-infer's own
:func:`~cerulean_infer.merge_scene` — the row's thresholds and the serving merge unless
told otherwise — and scores the slicks that come out. A scene's tiles are one unshifted
tileset, so the service's tileset ensemble is skipped (it needs several).

The model's raw outputs per scene (``batches``) are kept until the scene is scored, so
post-processing can be re-run on them with other thresholds without the model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from cerulean_coco import CocoDataset
from cerulean_eval.checks import check_channels, check_dataset, check_output, check_row
from cerulean_eval.classes import model_classes
from cerulean_eval.config import EvalConfig
from cerulean_eval.diagnostic import TileDiagnostic
from cerulean_eval.document import DataRecord, PostprocessRecord, SourceRecord
from cerulean_eval.errors import ConfigError
from cerulean_eval.evaluation import EvalResult, Evaluation
from cerulean_eval.not_oil import NotOilSources
from cerulean_eval.placement import SceneTiles, check_grid, dataset_scenes
from cerulean_eval.prediction import from_instances, from_probabilities
from cerulean_eval.records import TilePrediction, TileTruth
from cerulean_eval.sources import TilePredictor, convert_instances
from cerulean_eval.truth import tile_truth
from cerulean_infer import (
    ModelDescription,
    PlacedTile,
    TilePlan,
    TilePredictions,
    describe_model,
    merge_scene,
    model_lattice,
    tiles_plan,
)
from cerulean_tiling import ClassMap, Lattice
from cerulean_tiling.channels import VV, read_tile_channels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How the model runs and how its outputs become slicks.

    Attributes:
        postprocess: a cerulean-infer preset replacing the model's (``<arch>-serving``).
        thresholds: threshold overrides on top of the row's.
        merge: ``serving`` (the service's scheme) or ``ours``.
        class_preset: remap preset for the truth; None takes the model's.
        batch_size: tiles per model call.
        device, backend: where and with what the model runs.
        land: GeoJSON land polygons: served slicks within 1 km are stored as ``LAND``.
        sea_ice: a sea-ice mask (GeoJSON or a raster with a CRS; ``{date}`` is each
            scene's YYYYMMDD): served slicks on it are stored as ``SEA_ICE``.
        progress: show a progress bar.
    """

    postprocess: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    merge: str = "serving"
    class_preset: str | None = None
    batch_size: int = 8
    device: str = "auto"
    backend: str = "auto"
    land: Path | None = None
    sea_ice: str | None = None
    progress: bool = False


@dataclass(frozen=True)
class PreparedRun:
    """A run that passed every cheap check: what to run, on what, with what."""

    model: ModelDescription
    classes: ClassMap
    postprocess: PostprocessRecord
    lattice: Lattice
    scenes: list[SceneTiles]
    not_oil: NotOilSources


def prepare_run(bundle: Path | str, dataset: CocoDataset, config: EvalConfig,
                options: RunOptions, model_row: Path | str | None = None,
                output: Path | None = None, overwrite: bool = False) -> PreparedRun:
    """Check everything that can be checked without running the model.

    Raises:
        OutputError: ``output`` exists (without ``overwrite``) or cannot be written.
        BundleError: not a bundle, a bare file without a row, a row that contradicts it.
        ModelRowError: the row lacks a threshold the service post-processes with.
        GridMismatchError: the dataset was cut on another grid than the model's.
        ChannelError: the tiles lack a channel the model reads.
        CategoryMismatchError: the model predicts a category the dataset lacks.
        ConfigError: a threshold the evaluation sets itself.
        SceneError: a land or sea-ice file that cannot be used (no polygon, no CRS, a
            ``{date}`` path for a scene whose id gives no date).
    """
    if output is not None:
        check_output(output, overwrite)
    model = describe_model(bundle, model_row)
    check_row(model)
    manifest = model.manifest
    check_dataset(dataset)
    lattice = model_lattice(manifest.zoom, manifest.tile_size)
    check_grid(dataset, manifest.zoom, manifest.tile_size, lattice)
    check_channels(dataset, manifest.channels)
    classes = model_classes(manifest.classes, manifest.category_ids, dataset.categories,
                            options.class_preset or manifest.class_preset,
                            where=str(model.source))
    if "groundtruth_dice_thresh" in options.thresholds:
        raise ConfigError("groundtruth_dice_thresh is the evaluation's match threshold: "
                          "set it with --match-dice")
    preset = model.preset(options.postprocess, options.thresholds)
    scenes = dataset_scenes(dataset, lattice, manifest.tile_size)
    not_oil = NotOilSources.read(options.land, options.sea_ice, (s.scene_id for s in scenes))
    return PreparedRun(model, classes, PostprocessRecord(preset, options.merge), lattice,
                       scenes, not_oil)


@dataclass(frozen=True, eq=False)
class ScenePredictions:
    """One scene's dataset tiles and the model's raw outputs for them, on its lattice.

    Attributes:
        scene_id: the scene.
        tiles: its dataset tiles (truth, VV).
        plan: the tiles placed on the model lattice (what ``merge_scene`` stitches).
        batches: ``(placed tiles, model outputs)`` per model call, in plan order.
    """

    scene_id: str
    tiles: list[TileTruth]
    plan: TilePlan
    batches: list[tuple[tuple[PlacedTile, ...], TilePredictions]]


def predict_scenes(predictor: TilePredictor, dataset: CocoDataset, prepared: PreparedRun,
                   options: RunOptions,
                   timings: dict[str, float] | None = None) -> Iterator[ScenePredictions]:
    """Run ``predictor`` over each scene's dataset tiles, one scene at a time.

    A scene's outputs are held only until the caller asks for the next scene, so memory is
    bounded by the largest scene, and a caller may post-process them as often as it
    likes (:mod:`cerulean_eval.calibrate` re-runs ``merge_scene`` per threshold setting).
    ``timings`` (when given) gains the seconds spent reading (``read``) and in the model
    (``model``).
    """
    timings = timings if timings is not None else {}
    manifest = prepared.model.manifest
    # VV first, for the truth's valid pixels, then the model's input channels.
    wanted = (VV, *manifest.channels)
    with tqdm(total=len(dataset), unit="tile", disable=not options.progress) as bar:
        for scene in prepared.scenes:
            t0 = time.perf_counter()
            plan = tiles_plan(prepared.lattice, manifest.tile_size, scene.windows or ())
            read = [read_tile_channels(s.path, wanted)[0] for s in scene.samples]
            tiles = [tile_truth(s, prepared.classes, r[0])
                     for s, r in zip(scene.samples, read, strict=True)]
            inputs = [r[1:] for r in read]
            timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
            batches: list[tuple[tuple[PlacedTile, ...], TilePredictions]] = []
            for start in range(0, len(inputs), options.batch_size):
                t0 = time.perf_counter()
                out = predictor.predict_tiles(np.stack(inputs[start:start + options.batch_size]))
                timings["model"] = timings.get("model", 0.0) + time.perf_counter() - t0
                batches.append((plan.tiles[start:start + options.batch_size], out))
                bar.update(len(batches[-1][0]))
            yield ScenePredictions(scene.scene_id, tiles, plan, batches)


def evaluate_model(predictor: TilePredictor, dataset: CocoDataset, prepared: PreparedRun,
                   config: EvalConfig, options: RunOptions) -> EvalResult:
    """Run ``predictor`` over every scene of ``prepared`` and score its served slicks."""
    started = time.perf_counter()
    manifest = prepared.model.manifest
    classes = prepared.classes
    evaluation = Evaluation(classes, config, manifest.name, prepared.not_oil)
    diagnostic = TileDiagnostic(classes, config) if config.diagnostic else None
    timings = {"read": 0.0, "model": 0.0, "postprocess": 0.0, "scoring": 0.0,
               "diagnostic": 0.0}
    for scene in predict_scenes(predictor, dataset, prepared, options, timings):
        t0 = time.perf_counter()
        merged = merge_scene(scene.plan, scene.batches, arch=manifest.arch,
                             classes=classes.names, preset=prepared.postprocess.preset,
                             merge=options.merge)
        timings["postprocess"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        evaluation.add_scene(scene.scene_id, scene.tiles, merged.slicks)
        timings["scoring"] += time.perf_counter() - t0
        if diagnostic is not None:
            t0 = time.perf_counter()
            _diagnose(diagnostic, scene.tiles, scene.batches, manifest.arch, config)
            timings["diagnostic"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    tile_doc = diagnostic.finish() if diagnostic is not None else None
    timings["diagnostic"] += time.perf_counter() - t0
    source = source_record(prepared, predictor, options)
    t0 = time.perf_counter()
    result = evaluation.finish(source, DataRecord.of(dataset), prepared.postprocess, tile_doc,
                               timings)
    timings["summary"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    result.model = prepared.model
    return result


def source_record(prepared: PreparedRun, predictor: TilePredictor,
                  options: RunOptions) -> SourceRecord:
    """metrics.json's ``source`` for a model run: the model, and where and how it ran."""
    manifest = prepared.model.manifest
    return SourceRecord(prepared.model.kind, str(prepared.model.source), manifest.name,
                        manifest.arch, str(prepared.model.row_path)
                        if prepared.model.row_path else None,
                        str(getattr(predictor, "device", options.device)),
                        str(getattr(predictor, "backend", options.backend)),
                        options.batch_size)


def _diagnose(diagnostic: TileDiagnostic, tiles: list[Any],
              batches: list[tuple[tuple[PlacedTile, ...], TilePredictions]], arch: str,
              config: EvalConfig) -> None:
    """The raw outputs of one scene's tiles, tile by tile (``diagnostic.tiles``)."""
    index = 0
    for placed, out in batches:
        for pos in range(len(placed)):
            tile = tiles[index]
            index += 1
            diagnostic.add(tile.image, tile.instances, tile.raster, tile.valid,
                           raw_prediction(out, pos, arch, config, tile.raster.shape))


def raw_prediction(out: Any, pos: int, arch: str, config: EvalConfig,
                   shape: tuple[int, int]) -> TilePrediction:
    """One tile's raw outputs as the diagnostic scores them."""
    if arch == "unet":
        return from_probabilities(out.probabilities[pos])
    return from_instances(convert_instances(out.instances[pos], config.mask_threshold), shape,
                          config.score_threshold)


def run_model(bundle: Path | str, dataset: CocoDataset, config: EvalConfig | None = None,
              options: RunOptions | None = None, *, model_row: Path | str | None = None,
              output: Path | None = None, overwrite: bool = False,
              loaded: Callable[[ModelDescription], TilePredictor] | None = None) -> EvalResult:
    """Check, load and evaluate a model (a bundle, or a production file and its row).

    Args:
        bundle: a bundle folder or a bare TorchScript file (then ``model_row``).
        dataset: the ground truth.
        config: scoring settings.
        options: how the model runs and is post-processed.
        model_row: the serving row (for a bundle: instead of its own).
        output: the output folder to check before any work (written by the caller).
        overwrite: whether ``output`` may be replaced.
        loaded: how to load the model (default: cerulean-infer's ``Predictor``).

    Raises:
        everything :func:`prepare_run` raises, and the model's loading errors.
    """
    config = config or EvalConfig()
    options = options or RunOptions()
    prepared = prepare_run(bundle, dataset, config, options, model_row, output, overwrite)
    predictor = loaded(prepared.model) if loaded is not None else prepared.model.load(
        options.device, options.backend)
    return evaluate_model(predictor, dataset, prepared, config, options)


__all__ = ["PreparedRun", "RunOptions", "ScenePredictions", "evaluate_model", "predict_scenes",
           "prepare_run", "raw_prediction", "run_model", "source_record"]
