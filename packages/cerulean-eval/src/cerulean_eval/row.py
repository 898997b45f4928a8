"""The measured serving row: the model's ``cerulean-cloud-model.json`` with its numbers.

A bundle's row leaves ``pixel_f1`` and ``instance_f1`` null; a production row carries
whatever was put there. The row an evaluation writes is the model's own (or, for a bundle
that ships none, the one its manifest implies) with:

- ``pixel_f1`` and ``instance_f1`` as measured (:mod:`cerulean_eval.metrics`);
- ``thresholds``: the thresholds the slicks were post-processed with, and
  ``groundtruth_dice_thresh`` = the Dice the slicks were matched with.

Every other column is kept as it was, so the row is ready to insert.
"""

from __future__ import annotations

from dataclasses import replace

from cerulean_eval.metrics.scenes import Summary
from cerulean_infer import ModelDescription, PostprocessPreset, ServingRow


def measured_row(model: ModelDescription, preset: PostprocessPreset, summary: Summary,
                 match_dice: float) -> ServingRow:
    """The model's serving row with the numbers and thresholds of this evaluation."""
    base = model.row if model.row is not None else ServingRow.from_manifest(
        model.manifest, preset)
    thresholds = {**base.thresholds, **preset.serving_thresholds(),
                  "groundtruth_dice_thresh": match_dice}
    return replace(base, thresholds=thresholds, pixel_f1=round(summary.pixel_f1, 6),
                   instance_f1=round(summary.instance_f1, 6))


__all__ = ["measured_row"]
