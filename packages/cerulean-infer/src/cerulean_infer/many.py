"""Many scenes on dask.distributed: one task per scene, one model per worker.

Each task opens the predictor in its worker process; :mod:`cerulean_infer.loading`
caches loaded models per process, so a worker loads the model once, however many
scenes it runs. ``summary.json`` lists every scene's status.

A rerun skips the scenes already finished and predicts the others (an interrupted run
resumes to the same bytes); a rerun with other settings is refused unless ``overwrite``
(:mod:`cerulean_infer.resume` says what a finished scene is).

Without a scheduler address a LocalCluster of worker processes (one thread each: the
model already uses the cores) starts and stops with the run.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cerulean_infer.errors import CeruleanInferError, OutputError, SceneError
from cerulean_infer.resume import RunSettings, prepare_folder, recorded_slicks, unfinished
from cerulean_tiling.fingerprints import sha256_file

if TYPE_CHECKING:
    from cerulean_infer.predictor import Predictor

log = logging.getLogger(__name__)

SUMMARY = "summary.json"


@dataclass(frozen=True)
class ManyOptions:
    """How each scene of a many-scene run is predicted (the predict options, as data)."""

    bundle: str
    model_row: str | None = None
    device: str = "auto"
    backend: str = "auto"
    postprocess: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    aux: tuple[str, ...] = ()
    tilesets: int = 3
    merge: str = "ours"
    georef: str = "spline"
    land: str | None = None
    sea_ice: str | None = None
    batch_size: int | None = None


@dataclass(frozen=True)
class SceneOutcome:
    """One scene's result in a many-scene run.

    ``note`` says why a scene that had an output was predicted again (its output was
    damaged, half-written or made otherwise).
    """

    scene: str
    output: str
    status: str
    slicks: int | None = None
    seconds: float | None = None
    error: str | None = None
    note: str | None = None


def output_name(scene: Path) -> str:
    """``<scene name>.geojson`` for a scene file or folder."""
    stem = scene.name if scene.is_dir() else scene.stem
    return f"{stem}.geojson"


def predict_many(scenes: Sequence[Path], out_dir: Path, options: ManyOptions, *,
                 overwrite: bool = False, scheduler: str | None = None, workers: int = 2,
                 progress: bool = False) -> list[SceneOutcome]:
    """Predict every scene into ``out_dir``; skip scenes already done (module docstring).

    Raises:
        OutputError: ``out_dir`` cannot be written, two scenes share an output name, or
            ``out_dir`` holds predictions made with other settings (without ``overwrite``).
        SceneError: no scenes.
    """
    from cerulean_infer.outputs import SceneOutputs, check_outputs
    from cerulean_tiling.jsonio import write_json

    if not scenes:
        raise SceneError("no scenes given")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create output folder ({exc})") from None
    names = [output_name(Path(s)) for s in scenes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise OutputError(f"{out_dir}: two scenes would both write {duplicates[0]}")
    targets = [out_dir / name for name in names]
    check_outputs(SceneOutputs(targets[0]))
    settings = run_settings(options, open_predictor(options))
    prepare_folder(out_dir, settings, targets, overwrite)
    outcomes: dict[str, SceneOutcome] = {}
    todo = []
    for scene, target in zip(scenes, targets, strict=True):
        reason = unfinished(target, settings)
        if reason is None:
            outcomes[str(scene)] = SceneOutcome(str(scene), str(target), "skipped",
                                                slicks=recorded_slicks(target))
        else:
            if target.exists():
                log.info("%s: predicting again (%s)", target, reason)
            todo.append((str(scene), str(target), reason if target.exists() else None))
    if todo:
        for outcome in _run(todo, options, settings, scheduler, workers, progress):
            outcomes[outcome.scene] = outcome
    ordered = [outcomes[str(s)] for s in scenes]
    write_json(out_dir / SUMMARY, {"settings": settings.to_dict(), "options": asdict(options),
                                   "scenes": [asdict(o) for o in ordered]},
               indent=2, what="summary")
    return ordered


def run_settings(options: ManyOptions, predictor: Predictor) -> RunSettings:
    """What decides a scene's GeoJSON in this run."""
    described = predictor.describe()
    chosen = predictor.preset.override(**options.thresholds)
    return RunSettings(
        model=described["model"], model_sha256=sha256_file(predictor.runner.path),
        arch=described["arch"], backend=described["backend"],
        device=str(described["device"]).split(":")[0],
        precision=described["precision"], zoom=described["zoom"],
        tile_size=described["tile_size"], channels=described["channels"],
        classes=described["classes"], preset=vars(chosen),
        merge=options.merge, georef=options.georef, tilesets=options.tilesets,
        aux=[_absolute_source(text) for text in options.aux],
        land=None if options.land is None else str(Path(options.land).absolute()),
        sea_ice=None if options.sea_ice is None else str(Path(options.sea_ice).absolute()),
    )


def run_scene(scene: str, target: str, options: ManyOptions,
              settings: RunSettings, note: str | None = None) -> SceneOutcome:
    """Predict one scene into ``target`` (runs inside a dask worker)."""
    from rasterio.errors import NotGeoreferencedWarning

    from cerulean_infer.outputs import SceneOutputs, check_outputs, write_scene_outputs
    from cerulean_infer.scene import predict_scene

    outputs = SceneOutputs(Path(target))
    try:
        with warnings.catch_warnings():
            # A raster without GCPs or a transform fails below with a SceneError that
            # names it; rasterio's warning about it would only repeat that.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            check_outputs(outputs)
            predictor = open_predictor(options)
            result = predict_scene(
                predictor, scene, aux=options.aux, tilesets=options.tilesets,
                merge=options.merge, georef=options.georef,
                land=options.land, sea_ice=options.sea_ice,
                batch_size=options.batch_size,
                thresholds=options.thresholds)
        write_scene_outputs(result, outputs, predictor.manifest, {"run": settings.to_dict()})
    except (CeruleanInferError, OSError) as exc:
        return SceneOutcome(scene, target, "failed", error=str(exc), note=note)
    return SceneOutcome(scene, target, "done", slicks=len(result.slicks),
                        seconds=round(result.timings["total"], 3), note=note)


def open_predictor(options: ManyOptions) -> Predictor:
    """The predictor ``options`` describe: a bundle folder, or a model file plus its row."""
    from cerulean_infer.predictor import Predictor

    bundle = Path(options.bundle)
    if bundle.is_file():
        if options.model_row is None:
            raise SceneError(f"{bundle}: a bare model file needs --model-row ROW.json")
        return Predictor.from_serving(bundle, options.model_row, device=options.device,
                                      postprocess=options.postprocess)
    return Predictor.from_bundle(bundle, device=options.device, backend=options.backend,
                                 postprocess=options.postprocess, model_row=options.model_row)


def _absolute_source(text: str) -> str:
    """``NAME=PATH`` with PATH made absolute (a rerun from another folder is the same)."""
    name, sep, path = text.partition("=")
    return f"{name}={Path(path).absolute()}" if sep and path else text


def _run(todo: list[tuple[str, str, str | None]], options: ManyOptions,
         settings: RunSettings, scheduler: str | None, workers: int,
         progress: bool) -> list[SceneOutcome]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            # No dashboard; the scheduler's own HTTP endpoints take any free port on the
            # loopback, so a second run does not warn that port 8787 is taken.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise SceneError(f"scheduler {scheduler}: cannot connect ({exc})") from None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="scene")
    try:
        futures = [client.submit(run_scene, scene, target, options, settings, note,
                                 pure=False, key=f"cerulean-infer-{i}")
                   for i, (scene, target, note) in enumerate(todo)]
        outcomes = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            outcome = future.result()
            log.info("%s: %s", outcome.scene, outcome.status)
            outcomes.append(outcome)
            if bar is not None:
                bar.update(1)
        return outcomes
    finally:
        if bar is not None:
            bar.close()
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


__all__ = ["SUMMARY", "ManyOptions", "SceneOutcome", "open_predictor", "output_name",
           "predict_many", "run_scene", "run_settings"]
