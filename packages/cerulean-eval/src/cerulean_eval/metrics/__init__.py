"""Every number cerulean-eval reports, defined once.

**What is scored.** The slicks a model is served with: its tile outputs stitched per scene
on the model lattice and post-processed by cerulean-infer's own
:func:`~cerulean_infer.merge_scene` (the serving row's thresholds, the serving merge, unless
told otherwise), or slicks read from GeoJSON. These are the features of ``slicks.geojson``;
every slick count below counts them.

Headline numbers (metrics.json ``summary``, computed by :func:`summarise` from per-scene
counts, with 95% bootstrap intervals over scenes in ``intervals``):

- ``pixel_f1``: the served slicks are painted with their class onto each dataset tile's
  pixels (a pixel takes the class of the most confident slick whose polygon holds its
  centre, else background) and compared with the truth class raster over valid pixels
  (VV ≠ 0). Per class ``c``, F1 = 2·TP / (true + predicted pixels of c); ``pixel_f1`` is
  the mean F1 over the *oil* classes present in truth or prediction (a class absent from
  both is left out, as scikit-learn does when it takes labels from the data; 0 when no
  oil class is present). The serving row's ``pixel_f1``.
- ``pixel_macro_f1``: the same mean over every present class, background included.
- ``oil_iou``: IoU of "any oil class" against background on those pixels (an oil pixel
  painted with another oil class counts as found).
- ``pixel_f1_per_class``: each oil class's pixel F1 (null when absent from both).
- ``instance_f1``: slick-level F1, ``2·TP / (true slicks + predicted slicks)``, where TP
  counts the one-to-one, same-class matches of :func:`match_slicks`: per scene, highest
  ``machine_confidence`` first, a match when the geodesic polygon Dice reaches
  ``groundtruth_dice_thresh`` (0.2 by default). The serving row's ``instance_f1``.
- ``slick_precision`` = TP / predicted, ``slick_recall`` = TP / true;
  ``slicks_true``, ``slicks_predicted``, ``slicks_found`` (= TP), ``slicks_missed``
  (true − TP) and ``slicks_false`` (predicted − TP).

True slicks are the dataset's annotations outlined per tile and put back together per
scene and class (:func:`~cerulean_eval.slicks.merge_pieces`). The truth class raster paints
each tile's annotations through the class map, in annotation order (a later annotation
wins where two overlap).

Anything else is a **diagnostic** (metrics.json ``diagnostic``), never a headline: the raw
per-tile outputs before post-processing — the UNet's argmax raster and its connected
components, a Mask R-CNN's instances — scored tile by tile
(:class:`~cerulean_eval.metrics.pixel.PixelMetrics` of the raw raster, the pixel
confidence sweep :class:`~cerulean_eval.metrics.pixel.ThresholdSweep`,
:class:`~cerulean_eval.metrics.tile_instances.InstanceConfusion`, COCO AP). The trainer's
validation numbers (``val_oil_iou`` ...) are computed by cerulean-train and keep its names.
"""

from __future__ import annotations

from cerulean_eval.metrics.bootstrap import Intervals, bootstrap, resample_weights, resampled
from cerulean_eval.metrics.pixel import PixelMetrics, ThresholdSweep
from cerulean_eval.metrics.scenes import (
    INTERVAL_METRICS,
    SceneStats,
    Summary,
    Totals,
    summarise,
)
from cerulean_eval.metrics.slicks import SlickMatch, match_slicks, polygon_dice
from cerulean_eval.metrics.tile_instances import InstanceConfusion, MatchMetric, match, overlaps

__all__ = [
    "INTERVAL_METRICS",
    "InstanceConfusion",
    "Intervals",
    "MatchMetric",
    "PixelMetrics",
    "SceneStats",
    "SlickMatch",
    "Summary",
    "ThresholdSweep",
    "Totals",
    "bootstrap",
    "match",
    "match_slicks",
    "overlaps",
    "polygon_dice",
    "resample_weights",
    "resampled",
    "summarise",
]
