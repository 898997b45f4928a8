"""One evaluation, scene by scene: served slicks in, metrics.json and slicks.geojson out.

An :class:`Evaluation` receives each scene's tiles and the slicks served for it
(:meth:`Evaluation.add_scene`), scores them (:func:`~cerulean_eval.scoring.score_scene`),
keeps the scene's statistics, the scored slicks as GeoJSON features, the best and worst
tiles and the maps of the scenes with the most slicks, and assembles the result
(:meth:`Evaluation.finish`). It holds one scene's rasters at a time.

Served slicks the service stores as not oil (``LAND``, ``SEA_ICE``: marked here from the
evaluation's land and sea-ice masks, or already in a GeoJSON read) are written to
``slicks.geojson`` with ``matched`` and ``match_dice`` null and left out of every count
and every painted pixel (:mod:`cerulean_eval.not_oil`).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cerulean_eval.config import EvalConfig
from cerulean_eval.document import DataRecord, MetricsDocument, PostprocessRecord, SourceRecord
from cerulean_eval.metrics.bootstrap import bootstrap
from cerulean_eval.metrics.pixel import PixelMetrics
from cerulean_eval.metrics.scenes import SceneStats, Totals, summarise
from cerulean_eval.not_oil import NOT_OIL_CLASSES, NotOilSources, is_not_oil, stored_class
from cerulean_eval.records import Example, TileTruth
from cerulean_eval.scene_maps import MapKeeper, SceneMap, scene_map
from cerulean_eval.scoring import SceneScore, score_scene
from cerulean_eval.slicks import MapSlick
from cerulean_infer import ModelDescription, Slick, feature_collection
from cerulean_tiling import ClassMap
from cerulean_tiling.arrays import UInt8Array


@dataclass(eq=False)
class EvalResult:
    """What an evaluation produced.

    Attributes:
        document: metrics.json.
        slicks: the scored slicks as a GeoJSON FeatureCollection (``slicks.geojson``).
        best, worst: example tiles by oil IoU of the painted slicks.
        maps: the maps of the scenes drawn (the most telling, in scene order).
        model: the model that was evaluated (None for saved predictions).
    """

    document: MetricsDocument
    slicks: dict[str, Any]
    best: list[Example] = field(default_factory=list)
    worst: list[Example] = field(default_factory=list)
    maps: list[SceneMap] = field(default_factory=list)
    model: ModelDescription | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        """metrics.json as JSON data."""
        return self.document.to_json()

    @property
    def summary(self) -> dict[str, Any]:
        """The headline numbers."""
        return self.document.summary.to_json()


def map_slicks(scene_id: str, slicks: Sequence[Slick]) -> list[MapSlick]:
    """Served slicks as scored: geometry, class index, scene and ``machine_confidence``."""
    return [MapSlick(s.geometry, s.inf_idx, scene_id, s.machine_confidence) for s in slicks]


class Evaluation:
    """Scores scenes as they come (see the module docstring).

    Args:
        classes: the evaluated classes.
        config: the settings.
        model_name: the ``model`` property of the written slicks.
        not_oil: the land and sea-ice masks served slicks are reclassified with.
    """

    def __init__(self, classes: ClassMap, config: EvalConfig, model_name: str,
                 not_oil: NotOilSources | None = None) -> None:
        self.classes = classes
        self.config = config
        self.model_name = model_name
        self.not_oil = not_oil or NotOilSources()
        self.scenes: list[SceneStats] = []
        self.features: list[dict[str, Any]] = []
        self.nodata_pixels = 0
        self.reclassified: Counter[str] = Counter({name: 0 for name in NOT_OIL_CLASSES})
        self.reclassified_scenes: dict[str, int] = {}
        self.maps = MapKeeper(config.maps)
        self._best: list[tuple[float, int, Example]] = []
        self._worst: list[tuple[float, int, Example]] = []
        self._tick = itertools.count()

    def add_scene(self, scene_id: str, tiles: Sequence[TileTruth], slicks: Sequence[Slick],
                  truth: Sequence[MapSlick] | None = None) -> SceneScore:
        """Score one scene's slicks (their ``inf_idx`` are evaluated class indices).

        Args:
            scene_id: the scene.
            tiles: its dataset tiles.
            slicks: the slicks served for it, in the order the merge left them.
            truth: its true slicks when not the dataset's annotations.
        """
        slicks = self.not_oil.apply(scene_id, slicks)
        counted = [s for s in slicks if not is_not_oil(s)]
        not_oil = [s for s in slicks if is_not_oil(s)]
        predictions = map_slicks(scene_id, counted)
        score = score_scene(scene_id, tiles, predictions, self.classes,
                            self.config.match_dice, truth)
        self.scenes.append(score.stats)
        self.nodata_pixels += sum(int(t.vv.size - (t.vv != 0).sum()) for t in tiles)
        dice = {m.prediction: m.dice for m in score.matches}
        features = feature_collection(list(slicks), scene_id, self.model_name)["features"]
        j = 0
        for feature, slick in zip(features, slicks, strict=True):
            properties = feature["properties"]
            if is_not_oil(slick):
                properties["matched"] = properties["match_dice"] = None
                continue
            properties["matched"] = j in dice
            properties["match_dice"] = round(dice[j], 6) if j in dice else None
            j += 1
        self.features.extend(features)
        self.reclassified.update(stored_class(s) for s in not_oil)
        if not_oil:
            self.reclassified_scenes[scene_id] = len(not_oil)
        for tile in score.tiles:
            self._keep_example(tile.tile, tile.painted, tile.counts)
        if tiles:
            self.maps.offer(scene_id, lambda: scene_map(score, tiles,
                                                        [s.geometry for s in not_oil]),
                            len(score.truth) + len(predictions) + len(not_oil))
        return score

    def _keep_example(self, tile: TileTruth, painted: UInt8Array, counts: Any) -> None:
        k = self.config.examples
        tp, fp, fn = PixelMetrics(self.classes.names, counts).oil
        if k == 0 or tp + fp + fn == 0:
            return
        example = Example(tile.image.name, tp / (tp + fp + fn), tile.vv, tile.raster, painted)
        tick = next(self._tick)
        heapq.heappush(self._best, (example.score, tick, example))
        heapq.heappush(self._worst, (-example.score, tick, example))
        if len(self._best) > k:
            heapq.heappop(self._best)
        if len(self._worst) > k:
            heapq.heappop(self._worst)

    def finish(self, source: SourceRecord, data: DataRecord,
               postprocess: PostprocessRecord | None, diagnostic: dict[str, Any] | None,
               timings: dict[str, float]) -> EvalResult:
        """The headline numbers, their intervals, and the result."""
        summary = summarise(self.classes.names, Totals.of(self.scenes))
        intervals = (bootstrap(self.classes.names, self.scenes, self.config.bootstrap,
                               self.config.seed) if self.config.bootstrap else None)
        reclassified = {**self.not_oil.to_json(), "slicks": dict(self.reclassified),
                        "scenes": self.reclassified_scenes}
        document = MetricsDocument(source, data, self.classes, postprocess, self.config,
                                   summary, intervals, self.scenes, self.nodata_pixels,
                                   {"tiles": diagnostic} if diagnostic is not None else None,
                                   timings, reclassified)
        best = [e for _, _, e in sorted(self._best, key=lambda x: (-x[0], x[1]))]
        # With few tiles the two heaps overlap: a tile shown as best is not also worst.
        shown = {id(e) for e in best}
        worst = [e for _, _, e in sorted(self._worst, key=lambda x: (-x[0], x[1]))
                 if id(e) not in shown]
        return EvalResult(document, {"type": "FeatureCollection", "features": self.features},
                          best, worst, self.maps.maps)


__all__ = ["EvalResult", "Evaluation", "Example", "map_slicks"]
