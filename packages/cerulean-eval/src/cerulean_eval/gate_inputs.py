"""The gate's two sides: evaluation folders read, or models scored, and checked to pair.

Each side is either an evaluation folder (``cerulean-eval run`` or ``score`` output: its
metrics.json) or a model (a bundle, or a TorchScript file with ``--*-row``), which the gate
evaluates on ``--coco`` exactly as ``cerulean-eval run`` would. Models are checked (every
cheap check of ``run``) before either is run. Then the two must pair scene by scene
(:func:`check_paired`): the same dataset (annotations hash), the same scenes with the same
tiles, the same classes and the same slick match Dice — or the comparison would measure the
data or the settings instead of the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cerulean_coco import CocoDataset
from cerulean_eval.compare import read_metrics
from cerulean_eval.config import EvalConfig
from cerulean_eval.document import FORMAT_VERSION, DataRecord
from cerulean_eval.errors import ConfigError, PairingError, RunReadError
from cerulean_eval.evaluation import EvalResult
from cerulean_eval.metrics.scenes import SceneStats
from cerulean_eval.outputs import METRICS_JSON
from cerulean_eval.run import PreparedRun, RunOptions, evaluate_model, prepare_run


@dataclass(frozen=True)
class SideSpec:
    """What the command line names for one side: a path, and a serving row for a bare file."""

    role: str
    path: Path
    row: Path | None = None

    @property
    def is_evaluation(self) -> bool:
        """An evaluation folder (holds metrics.json) rather than a model."""
        return (self.path / METRICS_JSON).is_file()


@dataclass(frozen=True, eq=False)
class Side:
    """One side of the gate: what it is, its metrics.json, its statistics by scene.

    Attributes:
        role: ``candidate`` or ``baseline``.
        label: the model's name or the folder's path, for people.
        metrics: metrics.json as JSON data.
        scenes: per-scene statistics, sorted by scene id.
        result: the evaluation, when the gate ran the model (its folder is written too).
    """

    role: str
    label: str
    metrics: dict[str, Any]
    scenes: list[SceneStats]
    result: EvalResult | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The evaluated class names."""
        return tuple(self.metrics["classes"]["names"])

    @classmethod
    def of(cls, role: str, label: str, metrics: dict[str, Any],
           result: EvalResult | None = None) -> Side:
        """A side from metrics.json data.

        Raises:
            RunReadError: not metrics.json of this version, or without per-scene statistics.
        """
        version = metrics.get("format_version")
        if version != FORMAT_VERSION:
            raise RunReadError(f"{label}: metrics.json format {version}, the gate reads "
                               f"format {FORMAT_VERSION} (re-run the evaluation)")
        try:
            scenes = sorted((SceneStats.from_json(s) for s in metrics["scenes"]),
                            key=lambda s: s.scene_id)
            metrics["classes"]["names"], metrics["data"]["annotations_sha256"]
        except (KeyError, TypeError, ValueError) as exc:
            raise RunReadError(f"{label}: metrics.json without usable per-scene statistics "
                               f"({exc})") from None
        if not scenes:
            raise RunReadError(f"{label}: metrics.json holds no scene")
        return cls(role, label, metrics, scenes, result)


def check_paired(candidate: Side, baseline: Side) -> None:
    """Refuse two evaluations that cannot be compared scene by scene.

    Raises:
        PairingError: other annotations, scenes, tiles, classes or match Dice (the message
            names both and what differs).
    """
    both = f"{candidate.label} and {baseline.label}"
    c_data, b_data = candidate.metrics["data"], baseline.metrics["data"]
    if c_data["annotations_sha256"] != b_data["annotations_sha256"]:
        raise PairingError(f"{both} were measured on other data (annotations sha256 "
                           f"{c_data['annotations_sha256'][:12]}… vs "
                           f"{b_data['annotations_sha256'][:12]}…)")
    c_ids = [s.scene_id for s in candidate.scenes]
    b_ids = [s.scene_id for s in baseline.scenes]
    if c_ids != b_ids:
        odd = sorted(set(c_ids) ^ set(b_ids))
        raise PairingError(f"{both} scored other scenes (e.g. {odd[0]})")
    for c, b in zip(candidate.scenes, baseline.scenes, strict=True):
        if c.tiles != b.tiles:
            raise PairingError(f"{both} scored {c.tiles} and {b.tiles} tiles of scene "
                               f"{c.scene_id}")
    if candidate.metrics["classes"] != baseline.metrics["classes"]:
        raise PairingError(f"{both} were scored with other classes "
                           f"({', '.join(candidate.names)} vs {', '.join(baseline.names)}, "
                           "or another class map)")
    c_not_oil, b_not_oil = _not_oil_sources(candidate), _not_oil_sources(baseline)
    if c_not_oil != b_not_oil:
        raise PairingError(f"{both} counted other slicks as not oil (land / sea ice "
                           f"{c_not_oil} vs {b_not_oil}): score both with the same --land "
                           "and --sea-ice")
    c_dice = candidate.metrics.get("settings", {}).get("match_dice")
    b_dice = baseline.metrics.get("settings", {}).get("match_dice")
    if c_dice != b_dice:
        raise PairingError(f"{both} matched slicks at Dice {c_dice} and {b_dice} "
                           "(give the gate --match-dice to score a model like the folder)")


def gate_sides(specs: tuple[SideSpec, SideSpec], dataset: CocoDataset | None,
               config: EvalConfig, options: RunOptions) -> tuple[Side, Side]:
    """Read or score both sides, cheap checks of both first, and check that they pair.

    Raises:
        ConfigError: a model side without ``dataset``.
        RunReadError, PairingError: see :meth:`Side.of` and :func:`check_paired`.
        everything :func:`~cerulean_eval.run.prepare_run` raises, for a model side.
    """
    read: dict[str, Side] = {}
    prepared: dict[str, tuple[SideSpec, PreparedRun]] = {}
    for spec in specs:
        if spec.is_evaluation:
            read[spec.role] = Side.of(spec.role, str(spec.path), read_metrics(spec.path))
        elif dataset is None:
            raise ConfigError(f"{spec.path}: the {spec.role} is a model, not an evaluation "
                              "folder; give --coco to score it")
        else:
            prepared[spec.role] = (spec, prepare_run(spec.path, dataset, config, options,
                                                     spec.row))
    if dataset is not None and read:
        sha = DataRecord.of(dataset).annotations_sha256
        for side in read.values():
            if side.metrics["data"]["annotations_sha256"] != sha:
                raise PairingError(f"{side.label} was measured on other data than "
                                   f"{dataset.root} (annotations sha256 differ)")
    for role, (spec, run) in prepared.items():
        assert dataset is not None
        predictor = run.model.load(options.device, options.backend)
        result = evaluate_model(predictor, dataset, run, config, options)
        read[role] = Side.of(role, run.model.manifest.name or str(spec.path), result.metrics,
                             result)
    candidate, baseline = read[specs[0].role], read[specs[1].role]
    check_paired(candidate, baseline)
    return candidate, baseline



def _not_oil_sources(side: Side) -> tuple[str | None, str | None]:
    """The land and sea-ice sources a side's served slicks were reclassified with."""
    record = side.metrics.get("reclassified") or {}
    return record.get("land"), record.get("sea_ice")


__all__ = ["Side", "SideSpec", "check_paired", "gate_sides"]
