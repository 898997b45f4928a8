"""cerulean-eval: honest metrics for oil-slick detectors, and a report people can read.

A model is measured on the slicks it is served with: its tile outputs stitched per scene
and post-processed by cerulean-infer with the serving row's thresholds. Typical use::

    from cerulean_coco import CocoDataset
    from cerulean_eval import run_model, write_outputs
    result = run_model("models/unet.bundle", CocoDataset.open("datasets/val"))
    result.summary["pixel_f1"], result.summary["instance_f1"]
    write_outputs(result, Path("eval/unet"))
"""

from __future__ import annotations

from cerulean_eval.calibrate import Calibration, Grid, SettingScore, calibrate_model
from cerulean_eval.calibration_outputs import calibrated_row, write_calibration
from cerulean_eval.classes import category_index, dataset_classes, model_classes, name_index
from cerulean_eval.cocoeval import (
    COCO_AREA_RANGES,
    COCO_IOU_THRESHOLDS,
    CocoSettings,
    coco_ground_truth,
    coco_summary,
    load_results,
    run_cocoeval,
)
from cerulean_eval.compare import compare_table, format_table, read_metrics, read_summary
from cerulean_eval.components import label_components
from cerulean_eval.config import EvalConfig
from cerulean_eval.confusion import confusion_counts, score_histogram, sweep_counts
from cerulean_eval.diagnostic import TileDiagnostic
from cerulean_eval.document import DataRecord, MetricsDocument, PostprocessRecord, SourceRecord
from cerulean_eval.errors import CeruleanEvalError
from cerulean_eval.evaluation import EvalResult, Evaluation
from cerulean_eval.gate import GateSettings, MetricVerdict, Verdict, decide
from cerulean_eval.gate_inputs import Side, SideSpec, check_paired, gate_sides
from cerulean_eval.gate_report import write_gate
from cerulean_eval.geojson import read_predicted_slicks, read_predictions, read_slicks
from cerulean_eval.metrics import (
    InstanceConfusion,
    Intervals,
    PixelMetrics,
    SceneStats,
    SlickMatch,
    Summary,
    ThresholdSweep,
    Totals,
    bootstrap,
    match,
    match_slicks,
    overlaps,
    polygon_dice,
    resample_weights,
    resampled,
    summarise,
)
from cerulean_eval.not_oil import NotOilSources, is_not_oil
from cerulean_eval.outputs import figures, map_pngs, write_outputs
from cerulean_eval.placement import SceneTiles, check_grid, dataset_scenes
from cerulean_eval.prediction import from_instances, from_probabilities, from_raster
from cerulean_eval.records import Example, PredInstance, TilePrediction, TileTruth, TruthInstance
from cerulean_eval.row import measured_row
from cerulean_eval.run import (
    PreparedRun,
    RunOptions,
    ScenePredictions,
    evaluate_model,
    predict_scenes,
    prepare_run,
    run_model,
)
from cerulean_eval.scene_maps import SceneMap, scene_map, scene_map_png
from cerulean_eval.score import (
    FORMATS,
    ScoreOptions,
    dataset_slicks,
    detect_format,
    score_predictions,
    served_preset,
)
from cerulean_eval.scoring import SceneScore, paint, score_scene, truth_slicks
from cerulean_eval.slicks import MapSlick, Piece, area_km2, merge_pieces
from cerulean_eval.sources import TilePredictor, read_class_rasters, read_coco_results
from cerulean_eval.version import __version__

__all__ = [
    "COCO_AREA_RANGES",
    "COCO_IOU_THRESHOLDS",
    "FORMATS",
    "Calibration",
    "CeruleanEvalError",
    "CocoSettings",
    "DataRecord",
    "EvalConfig",
    "EvalResult",
    "Evaluation",
    "Example",
    "GateSettings",
    "Grid",
    "InstanceConfusion",
    "Intervals",
    "MapSlick",
    "MetricVerdict",
    "MetricsDocument",
    "NotOilSources",
    "Piece",
    "PixelMetrics",
    "PostprocessRecord",
    "PredInstance",
    "PreparedRun",
    "RunOptions",
    "SceneMap",
    "ScenePredictions",
    "SceneScore",
    "SceneStats",
    "SceneTiles",
    "ScoreOptions",
    "SettingScore",
    "Side",
    "SideSpec",
    "SlickMatch",
    "SourceRecord",
    "Summary",
    "ThresholdSweep",
    "TileDiagnostic",
    "TilePrediction",
    "TilePredictor",
    "TileTruth",
    "Totals",
    "TruthInstance",
    "Verdict",
    "__version__",
    "area_km2",
    "bootstrap",
    "calibrate_model",
    "calibrated_row",
    "category_index",
    "check_grid",
    "check_paired",
    "coco_ground_truth",
    "coco_summary",
    "compare_table",
    "confusion_counts",
    "dataset_classes",
    "dataset_scenes",
    "dataset_slicks",
    "decide",
    "detect_format",
    "evaluate_model",
    "figures",
    "format_table",
    "from_instances",
    "from_probabilities",
    "from_raster",
    "gate_sides",
    "is_not_oil",
    "label_components",
    "load_results",
    "map_pngs",
    "match",
    "match_slicks",
    "measured_row",
    "merge_pieces",
    "model_classes",
    "name_index",
    "overlaps",
    "paint",
    "polygon_dice",
    "predict_scenes",
    "prepare_run",
    "read_class_rasters",
    "read_coco_results",
    "read_metrics",
    "read_predicted_slicks",
    "read_predictions",
    "read_slicks",
    "read_summary",
    "resample_weights",
    "resampled",
    "run_cocoeval",
    "run_model",
    "scene_map",
    "scene_map_png",
    "score_histogram",
    "score_predictions",
    "score_scene",
    "served_preset",
    "summarise",
    "sweep_counts",
    "truth_slicks",
    "write_calibration",
    "write_gate",
    "write_outputs",
]
