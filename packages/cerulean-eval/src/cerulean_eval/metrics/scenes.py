"""Per-scene sufficient statistics, and the headline numbers computed from them.

Every headline number is a function of sums over scenes of a few counts, so an
evaluation keeps, for each scene, exactly those counts (:class:`SceneStats`) and computes
the numbers with :func:`summarise` from their totals. The same function then runs on any
resample of the scenes (the bootstrap), and two evaluations of the same scenes — a
candidate and a baseline — can be resampled together, scene by scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cerulean_eval.metrics.pixel import PixelMetrics
from cerulean_tiling.arrays import Float64Array, Int64Array


@dataclass(frozen=True, eq=False)
class SceneStats:
    """What one scene adds to every headline number.

    Attributes:
        scene_id: the scene.
        tiles: its dataset tiles.
        confusion: ``[K, K]`` valid-pixel counts, rows truth, columns the served slicks
            painted onto the tiles.
        slicks_true, slicks_predicted, slicks_matched: ``[K]`` slick counts per class
            index (index 0 unused): true slicks, predicted slicks, matches (same class).
        km2_true, km2_predicted, km2_matched: ``[K]`` the same as areas in km² (of the
            true slicks, the predicted ones, and the true slicks that were matched).
    """

    scene_id: str
    tiles: int
    confusion: Int64Array
    slicks_true: Int64Array
    slicks_predicted: Int64Array
    slicks_matched: Int64Array
    km2_true: Float64Array
    km2_predicted: Float64Array
    km2_matched: Float64Array

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in metrics.json's ``scenes``."""
        return {"scene_id": self.scene_id, "tiles": self.tiles,
                "pixel_confusion": self.confusion.tolist(),
                "slicks": {"true": self.slicks_true.tolist(),
                           "predicted": self.slicks_predicted.tolist(),
                           "matched": self.slicks_matched.tolist()},
                "km2": {"true": [round(float(v), 6) for v in self.km2_true],
                        "predicted": [round(float(v), 6) for v in self.km2_predicted],
                        "matched": [round(float(v), 6) for v in self.km2_matched]}}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SceneStats:
        """Read :meth:`to_json` output (e.g. to pair two evaluations)."""
        slicks, km2 = doc["slicks"], doc["km2"]

        def counts(key: str) -> Int64Array:
            return np.asarray(slicks[key], dtype=np.int64)

        def areas(key: str) -> Float64Array:
            return np.asarray(km2[key], dtype=np.float64)

        return cls(str(doc["scene_id"]), int(doc["tiles"]),
                   np.asarray(doc["pixel_confusion"], dtype=np.int64), counts("true"),
                   counts("predicted"), counts("matched"), areas("true"), areas("predicted"),
                   areas("matched"))


@dataclass(frozen=True, eq=False)
class Totals:
    """Sums of :class:`SceneStats` fields over (possibly repeated) scenes."""

    confusion: Int64Array
    slicks_true: Int64Array
    slicks_predicted: Int64Array
    slicks_matched: Int64Array

    @classmethod
    def of(cls, scenes: Sequence[SceneStats], weights: Sequence[int] | None = None) -> Totals:
        """The totals of ``scenes``, each counted ``weights[i]`` times (once by default)."""
        w = np.ones(len(scenes), dtype=np.int64) if weights is None \
            else np.asarray(weights, dtype=np.int64)

        def total(field: str) -> Int64Array:
            stacked = np.stack([getattr(s, field) for s in scenes])
            out: Int64Array = np.tensordot(w, stacked, axes=1).astype(np.int64)
            return out

        return cls(total("confusion"), total("slicks_true"), total("slicks_predicted"),
                   total("slicks_matched"))


@dataclass(frozen=True)
class Summary:
    """The headline numbers (metrics.json's ``summary``); see :mod:`cerulean_eval.metrics`."""

    pixel_f1: float
    pixel_macro_f1: float
    oil_iou: float
    pixel_f1_per_class: dict[str, float | None]
    instance_f1: float
    slick_precision: float
    slick_recall: float
    slicks_true: int
    slicks_predicted: int
    slicks_found: int
    slicks_missed: int
    slicks_false: int

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return dict(self.__dict__)


INTERVAL_METRICS = ("pixel_f1", "pixel_macro_f1", "oil_iou", "instance_f1", "slick_precision",
                    "slick_recall")
"""The summary numbers that get bootstrap intervals."""


def summarise(names: Sequence[str], totals: Totals) -> Summary:
    """The headline numbers of ``totals`` (every number is defined here, once)."""
    pixels = PixelMetrics(tuple(names), totals.confusion)
    present = pixels.present
    tp = int(totals.slicks_matched[1:].sum())
    n_true = int(totals.slicks_true[1:].sum())
    n_pred = int(totals.slicks_predicted[1:].sum())
    return Summary(
        pixel_f1=pixels.macro_f1_oil, pixel_macro_f1=pixels.macro_f1, oil_iou=pixels.oil_iou,
        pixel_f1_per_class={name: float(pixels.f1[i]) if present[i] else None
                            for i, name in enumerate(names) if i > 0},
        instance_f1=2 * tp / (n_true + n_pred) if n_true + n_pred else 0.0,
        slick_precision=tp / n_pred if n_pred else 0.0,
        slick_recall=tp / n_true if n_true else 0.0,
        slicks_true=n_true, slicks_predicted=n_pred, slicks_found=tp,
        slicks_missed=n_true - tp, slicks_false=n_pred - tp)


__all__ = ["INTERVAL_METRICS", "SceneStats", "Summary", "Totals", "summarise"]
