"""metrics.json as typed records: what was scored, how, on what, and every number.

::

    format_version   2
    source           SourceRecord: the model (bundle or production file + row) or the
                     predictions file, and how it ran (device, backend, batch size)
    data             DataRecord: the dataset, its annotations' hash, its scenes and tiles
    classes          the class map (names, category ids, preset, lookup)
    postprocess      PostprocessRecord: the preset, merge and thresholds the slicks were
                     made with, or null for GeoJSON slicks scored as they are
    settings         EvalConfig: match Dice, bootstrap, diagnostic settings
    summary          Summary: the headline numbers
    intervals        Intervals: their 95% bootstrap intervals over scenes (null: none)
    pixel            the served slicks painted onto the tiles: PixelMetrics per class,
                     confusion matrices, valid and nodata pixel counts
    slicks           per-class slick counts and areas, and the match rule
    scenes           SceneStats per scene: the sufficient statistics of every number
    diagnostic       {"tiles": raw per-tile outputs}, or null (see cerulean_eval.diagnostic)
    timings_s        seconds: model, postprocess, scoring, diagnostic, total
    reclassified     served slicks stored as not oil (LAND, SEA_ICE): the land and sea-ice
                     sources, and how many there were in all and per scene

Every count of slicks counts features of ``slicks.geojson`` written next to it, less those
stored as ``LAND`` or ``SEA_ICE`` (``matched`` null), which no count includes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cerulean_coco import CocoDataset
from cerulean_eval.config import EvalConfig
from cerulean_eval.metrics.bootstrap import Intervals
from cerulean_eval.metrics.pixel import PixelMetrics
from cerulean_eval.metrics.scenes import SceneStats, Summary, Totals
from cerulean_infer import PostprocessPreset
from cerulean_tiling import ClassMap
from cerulean_tiling.fingerprints import sha256_file

FORMAT_VERSION = 2
"""Version of metrics.json (2: headline numbers from the served slicks)."""


@dataclass(frozen=True)
class SourceRecord:
    """What made the predictions.

    Attributes:
        kind: ``bundle``, ``serving`` (a production file and its row), or the format of
            saved predictions (``geojson``, ``coco``, ``rasters``).
        path: the bundle folder, model file or predictions file.
        model: the model's name (empty for saved predictions).
        arch: ``unet`` or ``maskrcnn`` (empty for GeoJSON).
        row: the serving row the model ran with, when there is one.
        device, backend, batch_size: how the model ran (empty for saved predictions).
    """

    kind: str
    path: str
    model: str = ""
    arch: str = ""
    row: str | None = None
    device: str = ""
    backend: str = ""
    batch_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DataRecord:
    """The data a number was measured on, so it can be named and checked.

    Attributes:
        dataset: the dataset folder.
        annotations_sha256: hash of its ``annotations.json``.
        tiles: tiles scored.
        scenes: scene id → tiles scored, and the scene's input hash from the dataset's
            manifest when it has one.
    """

    dataset: str
    annotations_sha256: str
    tiles: int
    scenes: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, dataset: CocoDataset) -> DataRecord:
        """The record of ``dataset`` (reads its manifest when there is one)."""
        tiles: dict[str, int] = {}
        for image in dataset.images:
            tiles[image.scene_id] = tiles.get(image.scene_id, 0) + 1
        built = dataset.manifest.scenes if dataset.manifest is not None else {}
        scenes = {sid: {"tiles": n, "input_sha256": built[sid].input_sha256
                        if sid in built else None} for sid, n in sorted(tiles.items())}
        return cls(str(dataset.root), sha256_file(dataset.root / "annotations.json"),
                   len(dataset.images), scenes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PostprocessRecord:
    """How the scored slicks were made from the model's tile outputs.

    Attributes:
        preset: the cerulean-infer preset (with the row's and the command line's
            thresholds applied).
        merge: ``serving`` or ``ours``.
        tilesets: tilesets per scene (1: the dataset's tiles, on the unshifted grid).
        ensemble: whether the service's tileset ensemble ran (never with one tileset).
    """

    preset: PostprocessPreset
    merge: str
    tilesets: int = 1
    ensemble: bool = False

    def to_json(self) -> dict[str, Any]:
        # The match threshold is the evaluation's (settings.match_dice), not post-processing.
        thresholds = {k: v for k, v in vars(self.preset).items()
                      if k not in ("name", "arch", "groundtruth_dice_thresh")}
        return {"preset": self.preset.name, "arch": self.preset.arch, "merge": self.merge,
                "tilesets": self.tilesets, "ensemble": self.ensemble, "thresholds": thresholds}


@dataclass
class MetricsDocument:
    """metrics.json (see the module docstring)."""

    source: SourceRecord
    data: DataRecord
    classes: ClassMap
    postprocess: PostprocessRecord | None
    settings: EvalConfig
    summary: Summary
    intervals: Intervals | None
    scenes: list[SceneStats]
    nodata_pixels: int
    diagnostic: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    reclassified: dict[str, Any] = field(default_factory=dict)

    @property
    def totals(self) -> Totals:
        """The per-scene statistics summed."""
        return Totals.of(self.scenes)

    def pixel_json(self) -> dict[str, Any]:
        """The served pixels' metrics, per class, with the confusion matrices."""
        totals = self.totals
        doc = PixelMetrics(self.classes.names, totals.confusion).to_json()
        doc["valid_pixels"] = int(totals.confusion.sum())
        doc["nodata_pixels"] = self.nodata_pixels
        return doc

    def slicks_json(self) -> dict[str, Any]:
        """Slick counts and areas per class and in all, with the match rule."""
        totals = self.totals

        def area(name: str, index: int | slice) -> float:
            return round(float(np.sum([getattr(s, name)[index] for s in self.scenes])), 6)

        per_class = {}
        for i in self.classes.oil:
            true, pred = int(totals.slicks_true[i]), int(totals.slicks_predicted[i])
            found = int(totals.slicks_matched[i])
            per_class[self.classes.names[i]] = {
                "true": true, "predicted": pred, "found": found, "missed": true - found,
                "false": pred - found, "true_km2": area("km2_true", i),
                "predicted_km2": area("km2_predicted", i),
                "found_km2": area("km2_matched", i)}
        return {"match": {"rule": "one-to-one per scene, highest machine_confidence first, "
                                  "same class, geodesic polygon Dice",
                          "groundtruth_dice_thresh": self.settings.match_dice},
                "per_class": per_class,
                "true_km2": area("km2_true", slice(1, None)),
                "predicted_km2": area("km2_predicted", slice(1, None)),
                "found_km2": area("km2_matched", slice(1, None))}

    def to_json(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "format_version": FORMAT_VERSION,
            "source": self.source.to_json(),
            "data": self.data.to_json(),
            "classes": self.classes.to_json(),
            "postprocess": self.postprocess.to_json() if self.postprocess else None,
            "settings": self.settings.to_json(),
            "summary": self.summary.to_json(),
            "intervals": self.intervals.to_json() if self.intervals else None,
            "pixel": self.pixel_json(),
            "slicks": self.slicks_json(),
            "scenes": [s.to_json() for s in self.scenes],
            "diagnostic": self.diagnostic,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "reclassified": self.reclassified,
        }


__all__ = ["FORMAT_VERSION", "DataRecord", "MetricsDocument", "PostprocessRecord",
           "SourceRecord"]
