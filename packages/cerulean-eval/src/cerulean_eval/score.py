"""Evaluating saved predictions: GeoJSON slicks, or raw tile outputs served like a model's.

- **GeoJSON** (what ``cerulean-infer predict`` or the service writes): the features are
  the slicks, scored as they are. Each needs a ``scene_id`` naming a scene of the dataset.
- **COCO results** (instances per tile) and **class rasters** (a class index per tile
  pixel) are a model's raw tile outputs: they become slicks the way the model's would,
  through cerulean-infer's :func:`~cerulean_infer.merge_scene` on the dataset's grid —
  COCO results as Mask R-CNN detections (masks 0/1, ``maskrcnn-serving`` by default),
  rasters as UNet probabilities (1 for the pixel's class, ``unet-serving`` by default).
  A class raster holds no probabilities; it is read as a softmax that is 1 for the
  pixel's class and puts 10⁻⁶ on oil wherever the tile has data, because the service
  takes an oil probability of exactly 0 for no data. Their tiles are also scored raw, as
  a diagnostic. With a land or sea-ice mask their slicks are reclassified as the service
  stores them; a GeoJSON feature's own ``stored_class`` is honoured
  (:mod:`cerulean_eval.not_oil`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from cerulean_coco import CocoDataset
from cerulean_eval.checks import check_dataset, check_output
from cerulean_eval.classes import dataset_classes
from cerulean_eval.config import EvalConfig
from cerulean_eval.diagnostic import TileDiagnostic
from cerulean_eval.document import DataRecord, PostprocessRecord, SourceRecord
from cerulean_eval.errors import ConfigError, EmptyPredictionsError, PredictionsError
from cerulean_eval.evaluation import EvalResult, Evaluation
from cerulean_eval.geojson import read_predictions, read_slicks
from cerulean_eval.not_oil import NotOilSources
from cerulean_eval.placement import SceneTiles, check_grid, dataset_scenes
from cerulean_eval.prediction import from_instances, from_raster
from cerulean_eval.records import PredInstance, TileTruth
from cerulean_eval.scoring import truth_slicks
from cerulean_eval.slicks import MapSlick
from cerulean_eval.sources import read_class_rasters, read_coco_results
from cerulean_eval.truth import tile_truth
from cerulean_infer import (
    PRESETS,
    CeruleanInferError,
    InstancePrediction,
    PostprocessPreset,
    Slick,
    TilePredictions,
    merge_scene,
    model_lattice,
    tiles_plan,
)
from cerulean_tiling import ClassMap
from cerulean_tiling.channels import VV, read_tile_channels

FORMATS: tuple[str, ...] = ("auto", "coco", "rasters", "geojson")
DEFAULT_PRESETS = {"coco": "maskrcnn-serving", "rasters": "unet-serving"}
ARCHS = {"coco": "maskrcnn", "rasters": "unet"}
OIL_FLOOR = 1e-6
"""Oil probability a class raster puts on every pixel with data (see the module docstring)."""


@dataclass(frozen=True)
class ScoreOptions:
    """How saved predictions are read and, for tile outputs, post-processed.

    Attributes:
        fmt: ``auto`` (by path), ``coco``, ``rasters`` or ``geojson``.
        class_preset: remap preset for the truth (the predictions' class ids are then
            the preset's targets).
        postprocess: tile outputs: the cerulean-infer preset (default by format).
        thresholds: tile outputs: threshold overrides.
        merge: tile outputs: ``serving`` or ``ours``.
        allow_empty: score an empty prediction (metrics 0) instead of refusing it.
        truth_geojson: GeoJSON truth slicks instead of the dataset's annotations.
        land: tile outputs: GeoJSON land polygons; served slicks within 1 km are stored
            as ``LAND``.
        sea_ice: tile outputs: a sea-ice mask (``{date}``: each scene's YYYYMMDD);
            served slicks on it are stored as ``SEA_ICE``.
        progress: show a progress bar.
    """

    fmt: str = "auto"
    class_preset: str | None = None
    postprocess: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    merge: str = "serving"
    allow_empty: bool = False
    truth_geojson: Path | None = None
    land: Path | None = None
    sea_ice: str | None = None
    progress: bool = False


def detect_format(path: Path) -> str:
    """``rasters`` for a folder, ``geojson`` for .geojson or a FeatureCollection, else ``coco``."""
    if path.is_dir():
        return "rasters"
    if path.suffix.lower() == ".geojson":
        return "geojson"
    if not path.exists():
        raise PredictionsError(f"{path}: no such predictions file or folder")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    return "geojson" if b'"FeatureCollection"' in head else "coco"


def score_predictions(dataset: CocoDataset, predictions: Path,
                      config: EvalConfig | None = None, options: ScoreOptions | None = None,
                      *, output: Path | None = None, overwrite: bool = False) -> EvalResult:
    """Score saved predictions against ``dataset`` (see the module docstring).

    Raises:
        OutputError: ``output`` exists (without ``overwrite``) or cannot be written.
        PredictionsError (and its subclasses): the predictions cannot be scored.
        CategoryMismatchError: predictions name a class the dataset lacks.
        GridMismatchError: tile outputs on a dataset that is not on a ``tms`` grid.
        ConfigError: a land or sea-ice mask with GeoJSON slicks (they carry their
            ``stored_class``).
        SceneError: a land or sea-ice file that cannot be used.
    """
    started = time.perf_counter()
    config = config or EvalConfig()
    options = options or ScoreOptions()
    if output is not None:
        check_output(output, overwrite)
    predictions = Path(predictions)
    kind = detect_format(predictions) if options.fmt == "auto" else options.fmt
    if kind not in FORMATS[1:]:
        raise PredictionsError(f"{predictions}: unknown predictions format {kind!r}")
    check_dataset(dataset)
    classes = dataset_classes(dataset.categories, options.class_preset)
    source = SourceRecord(kind, str(predictions))
    if kind == "geojson":
        if options.land is not None or options.sea_ice is not None:
            raise ConfigError(f"{predictions}: --land and --sea-ice reclassify tile outputs "
                              "as they are served; GeoJSON slicks are scored with the "
                              "stored_class they carry")
        return _score_geojson(dataset, predictions, classes, config, options, source, started)
    return _score_tiles(dataset, predictions, kind, classes, config, options, source, started)


def _score_geojson(dataset: CocoDataset, path: Path, classes: ClassMap, config: EvalConfig,
                   options: ScoreOptions, source: SourceRecord, started: float) -> EvalResult:
    scenes = dataset_scenes(dataset)
    known = {s.scene_id for s in scenes}
    predicted = _by_scene(path, read_predictions(path, classes), known)
    if not any(predicted.values()) and not options.allow_empty:
        raise EmptyPredictionsError(f"{path}: no features (use --allow-empty to score an "
                                    "empty prediction as such)")
    truth = None
    if options.truth_geojson is not None:
        truth = _by_scene(options.truth_geojson, [
            (s, _as_slick(s, classes)) for s in read_slicks(options.truth_geojson, classes)],
            known)
    evaluation = Evaluation(classes, config, "")
    timings = {"read": 0.0, "scoring": 0.0}
    for scene in tqdm(scenes, unit="scene", disable=not options.progress):
        t0 = time.perf_counter()
        tiles = _tiles(scene, classes)
        timings["read"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        slicks = [slick for _, slick in predicted.get(scene.scene_id, [])]
        scene_truth = [m for m, _ in truth.get(scene.scene_id, [])] if truth else None
        evaluation.add_scene(scene.scene_id, tiles, slicks, scene_truth)
        timings["scoring"] += time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return evaluation.finish(source, DataRecord.of(dataset), None, None, timings)


def _as_slick(slick: MapSlick, classes: ClassMap) -> Slick:
    c = slick.confidence
    return Slick(slick.geometry, slick.label, classes.names[slick.label], c, c, c, c)


def _by_scene(path: Path, slicks: list[tuple[MapSlick, Slick]],
              known: set[str]) -> dict[str, list[tuple[MapSlick, Slick]]]:
    out: dict[str, list[tuple[MapSlick, Slick]]] = {}
    for n, (mapped, slick) in enumerate(slicks):
        if not mapped.scene_id:
            raise PredictionsError(f"{path}: feature {n} has no scene_id (slicks are scored "
                                   "against the truth of their scene)")
        if mapped.scene_id not in known:
            raise PredictionsError(f"{path}: feature {n}: scene {mapped.scene_id!r} is not "
                                   "in the dataset")
        out.setdefault(mapped.scene_id, []).append((mapped, slick))
    return out


def _tiles(scene: SceneTiles, classes: ClassMap) -> list[TileTruth]:
    return [tile_truth(s, classes, read_tile_channels(s.path, (VV,))[0][0])
            for s in scene.samples]


def dataset_slicks(dataset: CocoDataset, classes: ClassMap) -> list[MapSlick]:
    """The dataset's true slicks in lon/lat: annotation pieces merged across tiles, per scene."""
    out = []
    for scene in dataset_scenes(dataset):
        out.extend(truth_slicks(scene.scene_id, _tiles(scene, classes)))
    return out


def served_preset(kind: str, postprocess: str | None,
                  thresholds: dict[str, float]) -> PostprocessPreset:
    """The preset tile outputs of format ``kind`` are post-processed with.

    Raises:
        ConfigError: an unknown preset or threshold, or a preset of the other family.
    """
    name = postprocess or DEFAULT_PRESETS[kind]
    if name not in PRESETS:
        raise ConfigError(f"unknown post-processing preset {name!r}; known: "
                          f"{', '.join(PRESETS)}")
    chosen = PRESETS[name]
    if chosen.arch != ARCHS[kind]:
        raise ConfigError(f"preset {name!r} is for {chosen.arch}; {kind} predictions are "
                          f"{ARCHS[kind]} outputs")
    if "groundtruth_dice_thresh" in thresholds:
        raise ConfigError("groundtruth_dice_thresh is the evaluation's match threshold: "
                          "set it with --match-dice")
    try:
        return chosen.override(**thresholds)
    except CeruleanInferError as exc:
        raise ConfigError(str(exc)) from None


def _score_tiles(dataset: CocoDataset, path: Path, kind: str, classes: ClassMap,
                 config: EvalConfig, options: ScoreOptions, source: SourceRecord,
                 started: float) -> EvalResult:
    first = dataset.images[0]
    zoom, size = int(first.tile_index[0]) if first.tile_index else -1, first.width
    lattice = model_lattice(zoom, size) if first.grid == "tms" and zoom >= 0 else None
    if lattice is None:
        raise ConfigError(f"{dataset.root}: tile outputs are stitched on the serving grid; "
                          f"this dataset's tiles are on the {first.grid} grid")
    check_grid(dataset, zoom, size, lattice)
    preset = served_preset(kind, options.postprocess, options.thresholds)
    scenes = dataset_scenes(dataset, lattice, size)
    not_oil = NotOilSources.read(options.land, options.sea_ice, (s.scene_id for s in scenes))
    if kind == "coco":
        instances = read_coco_results(path, dataset, classes, options.allow_empty)
        rasters = None
    else:
        rasters = read_class_rasters(path, dataset, classes, options.allow_empty)
        instances = None
    evaluation = Evaluation(classes, config, "", not_oil)
    diagnostic = TileDiagnostic(classes, config) if config.diagnostic else None
    timings = {"read": 0.0, "postprocess": 0.0, "scoring": 0.0, "diagnostic": 0.0}
    for scene in tqdm(scenes, unit="scene", disable=not options.progress):
        t0 = time.perf_counter()
        tiles = _tiles(scene, classes)
        outputs = [_tile_outputs(t, classes, instances, rasters) for t in tiles]
        timings["read"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        plan = tiles_plan(lattice, size, scene.windows or ())
        batches = [((placed,), out) for placed, out in zip(plan.tiles, outputs, strict=True)]
        merged = merge_scene(plan, batches, arch=ARCHS[kind], classes=classes.names,
                             preset=preset, merge=options.merge)
        timings["postprocess"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        evaluation.add_scene(scene.scene_id, tiles, merged.slicks)
        timings["scoring"] += time.perf_counter() - t0
        if diagnostic is not None:
            t0 = time.perf_counter()
            for tile in tiles:
                diagnostic.add(tile.image, tile.instances, tile.raster, tile.valid,
                               _raw(tile, instances, rasters, config))
            timings["diagnostic"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    tile_doc = diagnostic.finish() if diagnostic is not None else None
    timings["diagnostic"] += time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    return evaluation.finish(source, DataRecord.of(dataset),
                             PostprocessRecord(preset, options.merge), tile_doc, timings)


def _tile_outputs(tile: TileTruth, classes: ClassMap,
                  instances: dict[int, list[PredInstance]] | None,
                  rasters: dict[int, Any] | None) -> TilePredictions:
    """One tile's saved outputs as cerulean-infer's model outputs (a batch of one)."""
    if rasters is not None:
        raster = rasters[tile.image.id]
        probs = (np.arange(classes.num_classes)[:, None, None] == raster[None]).astype(
            np.float32)
        sea = tile.valid & (raster == 0)
        probs[1][sea] = OIL_FLOOR
        probs[0][sea] = 1.0 - OIL_FLOOR
        probs[1:] *= tile.valid
        return TilePredictions(probabilities=probs[None])
    assert instances is not None
    found = []
    for inst in sorted(instances.get(tile.image.id, []), key=lambda i: -i.score):
        x, y, w, h = inst.tight_box
        found.append(InstancePrediction(inst.label, inst.score, (x, y, x + w, y + h),
                                        inst.mask.astype(np.float32)))
    return TilePredictions(instances=[found])


def _raw(tile: TileTruth, instances: dict[int, list[PredInstance]] | None,
         rasters: dict[int, Any] | None, config: EvalConfig) -> Any:
    if rasters is not None:
        return from_raster(rasters[tile.image.id])
    assert instances is not None
    return from_instances(instances.get(tile.image.id, []),
                          (tile.image.height, tile.image.width), config.score_threshold)


__all__ = ["FORMATS", "ScoreOptions", "dataset_slicks", "detect_format", "score_predictions",
           "served_preset"]
