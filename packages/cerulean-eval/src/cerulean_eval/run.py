"""Evaluations end to end: a bundle or saved predictions against a COCO dataset."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from cerulean_coco import CocoDataset
from cerulean_eval.classes import EvalClasses, dataset_classes, model_classes
from cerulean_eval.config import EvalConfig
from cerulean_eval.errors import EmptyPredictionsError, PredictionsError
from cerulean_eval.evaluate import EvalResult, Evaluator
from cerulean_eval.geojson import read_predicted_slicks, read_slicks
from cerulean_eval.prediction import from_instances, from_probabilities, from_raster
from cerulean_eval.records import TilePrediction
from cerulean_eval.slicks import MapSlick, merge_pieces
from cerulean_eval.sources import (
    TilePredictor,
    batches,
    convert_instances,
    read_class_rasters,
    read_coco_results,
)
from cerulean_eval.truth import model_input, read_bands, truth_instances, valid_pixels
from cerulean_infer import BundleManifest
from cerulean_tiling import VV

log = logging.getLogger(__name__)

PredictionFormat = Literal["auto", "coco", "rasters", "geojson"]
FORMATS: tuple[str, ...] = ("auto", "coco", "rasters", "geojson")


def evaluate_predictor(predictor: TilePredictor, dataset: CocoDataset,
                       config: EvalConfig | None = None, *, preset: str | None = None,
                       batch_size: int = 8, progress: bool = False) -> EvalResult:
    """Run a predictor over every tile of ``dataset`` and score it.

    Args:
        predictor: cerulean-infer's ``Predictor`` (or an object with its interface).
        dataset: the ground truth.
        config: scoring settings (defaults when None).
        preset: remap preset for the truth; None takes the bundle's ``class_preset``.
        batch_size: tiles per ``predict_tiles`` call.
        progress: show a progress bar.

    Raises:
        CategoryMismatchError: the model predicts a category id the dataset lacks.
        ChannelError: a tile lacks a channel the model reads.
    """
    config = config or EvalConfig()
    manifest = predictor.manifest
    classes = model_classes(manifest.classes, manifest.category_ids, dataset.categories,
                            preset or manifest.class_preset, where=f"bundle {manifest.name}")
    evaluator = Evaluator(classes, config)
    channels = tuple(manifest.channels)
    wanted = tuple(dict.fromkeys((VV, *(c for c in channels if not c.startswith("constant")))))
    with tqdm(total=len(dataset), unit="tile", disable=not progress) as bar:
        for batch in batches(dataset, batch_size):
            bands = [read_bands(s.path, wanted) for s in batch]
            shape = (batch[0].image.height, batch[0].image.width)
            inputs = [model_input(b, channels, (s.image.height, s.image.width), str(s.path))
                      for b, s in zip(bands, batch, strict=True)]
            if any(x.shape[1:] != shape for x in inputs):
                groups = [[i] for i in range(len(batch))]
            else:
                groups = [list(range(len(batch)))]
            for group in groups:
                out = predictor.predict_tiles(np.stack([inputs[i] for i in group]))
                for pos, i in enumerate(group):
                    sample = batch[i]
                    prediction = _tile_prediction(out, pos, manifest.arch, config,
                                                  (sample.image.height, sample.image.width))
                    truth = truth_instances(sample, classes)
                    evaluator.add(sample.image, truth, valid_pixels(bands[i][VV]), prediction,
                                  bands[i][VV])
            bar.update(len(batch))
    result = evaluator.finish()
    result.metrics["source"] = {"kind": "bundle", "bundle": manifest.name,
                                "arch": manifest.arch, "dataset": str(dataset.root),
                                "batch_size": batch_size}
    return result


def _tile_prediction(out: Any, pos: int, arch: str, config: EvalConfig,
                     shape: tuple[int, int]) -> TilePrediction:
    if arch == "unet":
        return from_probabilities(out.probabilities[pos])
    return from_instances(convert_instances(out.instances[pos], config.mask_threshold), shape,
                          config.score_threshold)


def run_bundle(bundle: Path, dataset: CocoDataset, config: EvalConfig | None = None, *,
               preset: str | None = None, batch_size: int = 8, device: str = "auto",
               backend: str = "auto", progress: bool = False) -> EvalResult:
    """Load a bundle with cerulean-infer's ``Predictor`` and evaluate it on ``dataset``.

    The bundle's classes are checked against the dataset before the model is loaded.
    """
    import cerulean_infer

    manifest = BundleManifest.read(bundle)
    model_classes(manifest.classes, manifest.category_ids, dataset.categories,
                  preset or manifest.class_preset, where=f"{bundle}")
    predictor_cls = getattr(cerulean_infer, "Predictor", None)
    if predictor_cls is None:
        raise PredictionsError("this cerulean-infer has no Predictor; install a cerulean-infer "
                               "that predicts tiles to evaluate bundles")
    predictor = predictor_cls.from_bundle(bundle, device=device, backend=backend)
    result = evaluate_predictor(predictor, dataset, config, preset=preset,
                                batch_size=batch_size, progress=progress)
    result.metrics["source"]["path"] = str(bundle)
    result.metrics["source"]["device"] = device
    return result


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
                      config: EvalConfig | None = None, *, fmt: str = "auto",
                      preset: str | None = None, allow_empty: bool = False,
                      truth_geojson: Path | None = None, progress: bool = False) -> EvalResult:
    """Score saved predictions against ``dataset``.

    Args:
        dataset: the ground truth (and the tiles, for nodata and examples).
        predictions: COCO results JSON, a folder of class rasters, or GeoJSON slicks.
        config: scoring settings.
        fmt: ``auto`` (by path), ``coco``, ``rasters`` or ``geojson``.
        preset: remap preset applied to the truth (class ids of the predictions are
            then the preset's target ids).
        allow_empty: score an empty prediction (metrics 0) instead of refusing it.
        truth_geojson: GeoJSON truth slicks for the slick-level scores, instead of the
            dataset's annotations.
        progress: show a progress bar.

    Raises:
        PredictionsError (and its subclasses): the predictions cannot be scored.
        CategoryMismatchError: predictions name a class the dataset lacks.
    """
    config = config or EvalConfig()
    predictions = Path(predictions)
    kind = detect_format(predictions) if fmt == "auto" else fmt
    if kind not in FORMATS[1:]:
        raise PredictionsError(f"{predictions}: unknown predictions format {kind!r}")
    classes = dataset_classes(dataset.categories, preset)
    evaluator = Evaluator(classes, config, pixels=kind != "geojson")
    map_predictions = None
    if kind == "geojson":
        map_predictions = read_predicted_slicks(predictions, classes)
        if not map_predictions and not allow_empty:
            raise EmptyPredictionsError(f"{predictions}: no features (use --allow-empty to "
                                        "score an empty prediction as such)")
        for sample in dataset.iter_samples():
            evaluator.add_truth(sample.image, truth_instances(sample, classes))
    else:
        tiles = _saved_tiles(kind, predictions, dataset, classes, config, allow_empty)
        for sample in tqdm(dataset.iter_samples(), total=len(dataset), unit="tile",
                           disable=not progress):
            vv = read_bands(sample.path, (VV,))[VV]
            evaluator.add(sample.image, truth_instances(sample, classes), valid_pixels(vv),
                          tiles(sample.image.id, (sample.image.height, sample.image.width)),
                          vv)
    truth_slicks = read_slicks(truth_geojson, classes) if truth_geojson else None
    result = evaluator.finish(map_predictions, truth_slicks)
    result.metrics["source"] = {"kind": kind, "path": str(predictions),
                                "dataset": str(dataset.root),
                                "truth_geojson": str(truth_geojson) if truth_geojson else None}
    return result


def dataset_slicks(dataset: CocoDataset, classes: EvalClasses) -> list[MapSlick]:
    """The dataset's true slicks in lon/lat: annotation pieces merged across tiles."""
    evaluator = Evaluator(classes, EvalConfig(), pixels=False)
    for sample in dataset.iter_samples():
        evaluator.add_truth(sample.image, truth_instances(sample, classes))
    return merge_pieces(evaluator.truth_pieces, evaluator.grid_size)


def _saved_tiles(kind: str, path: Path, dataset: CocoDataset, classes: EvalClasses,
                 config: EvalConfig, allow_empty: bool) -> Any:
    if kind == "coco":
        per_image = read_coco_results(path, dataset, classes, allow_empty)
        return lambda image_id, shape: from_instances(per_image.get(image_id, []), shape,
                                                      config.score_threshold)
    rasters = read_class_rasters(path, dataset, classes, allow_empty)
    return lambda image_id, shape: from_raster(rasters[image_id])


__all__ = ["FORMATS", "PredictionFormat", "dataset_slicks", "detect_format",
           "evaluate_predictor", "run_bundle", "score_predictions"]
