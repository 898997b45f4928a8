"""cerulean-eval: honest metrics for oil-slick detectors, and a report people can read.

Typical use::

    from cerulean_coco import CocoDataset
    from cerulean_eval import EvalConfig, score_predictions, write_outputs
    result = score_predictions(CocoDataset.open("datasets/val"), Path("results.json"))
    result.summary["pixel_f1"], result.summary["segm_ap"]
    write_outputs(result, Path("eval/run1"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from cerulean_eval.classes import EvalClasses, dataset_classes, model_classes
from cerulean_eval.cocoeval import COCO_AREA_RANGES, COCO_IOU_THRESHOLDS, CocoSettings
from cerulean_eval.compare import compare_table, format_table, read_summary
from cerulean_eval.components import label_components
from cerulean_eval.config import EvalConfig
from cerulean_eval.confusion import confusion_counts, score_histogram, sweep_counts
from cerulean_eval.errors import CeruleanEvalError
from cerulean_eval.evaluate import EvalResult, Evaluator, Example
from cerulean_eval.geojson import read_predicted_slicks, read_slicks
from cerulean_eval.matching import InstanceConfusion, match, overlaps
from cerulean_eval.outputs import figures, write_outputs
from cerulean_eval.pixel import PixelMetrics, ThresholdSweep
from cerulean_eval.prediction import from_instances, from_probabilities, from_raster
from cerulean_eval.records import PredInstance, TilePrediction, TruthInstance
from cerulean_eval.run import (
    dataset_slicks,
    detect_format,
    evaluate_predictor,
    run_bundle,
    score_predictions,
)
from cerulean_eval.slicks import MapSlick, Piece, area_km2, merge_pieces, score_slicks
from cerulean_eval.sources import TilePredictor, read_class_rasters, read_coco_results

__all__ = [
    "COCO_AREA_RANGES",
    "COCO_IOU_THRESHOLDS",
    "CeruleanEvalError",
    "CocoSettings",
    "EvalClasses",
    "EvalConfig",
    "EvalResult",
    "Evaluator",
    "Example",
    "InstanceConfusion",
    "MapSlick",
    "Piece",
    "PixelMetrics",
    "PredInstance",
    "ThresholdSweep",
    "TilePrediction",
    "TilePredictor",
    "TruthInstance",
    "__version__",
    "area_km2",
    "compare_table",
    "confusion_counts",
    "dataset_classes",
    "dataset_slicks",
    "detect_format",
    "evaluate_predictor",
    "figures",
    "format_table",
    "from_instances",
    "from_probabilities",
    "from_raster",
    "label_components",
    "match",
    "merge_pieces",
    "model_classes",
    "overlaps",
    "read_class_rasters",
    "read_coco_results",
    "read_predicted_slicks",
    "read_slicks",
    "read_summary",
    "run_bundle",
    "score_histogram",
    "score_predictions",
    "score_slicks",
    "sweep_counts",
    "write_outputs",
]
