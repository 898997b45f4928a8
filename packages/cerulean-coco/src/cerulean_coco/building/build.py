"""Building a COCO dataset from scene folders, scenes fanned out over dask, resumable.

Dataset folder while and after building::

    annotations.json    written last, from the committed parts, and only when every scene
                        is built (absent while work remains or after a scene failed)
    manifest.json       parameters first; scenes, tile hashes and negatives at the end,
                        failed scenes recorded with their error
    tiles/              tile GeoTIFFs of committed scenes (and of the scene being moved in)
    parts/<scene>.json  one committed scene each: the resume record
    .staging/<run>/     per-run scratch where workers tile; cleared by every new run
    .lock               held by the building process; a second build of the folder is refused

Rerunning a build skips scenes whose part file exists, was made with the same
parameters and whose scene folder looks unchanged; everything else is redone. A build
with failed scenes leaves its progress in ``parts/`` (the resumable record) and no
``annotations.json``, so nothing reads a finished-looking dataset that lacks scenes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from distributed import as_completed
from tqdm import tqdm

from cerulean_coco.building.assemble import assemble_document, fill_manifest
from cerulean_coco.building.cluster import open_client
from cerulean_coco.building.parts import (
    PART_FORMAT,
    clear_unreferenced_tiles,
    load_parts,
    part_path,
)
from cerulean_coco.building.scenejob import (
    SceneJob,
    SceneOutcome,
    run_scene_job,
)
from cerulean_coco.errors import DatasetReadError, OutputError, ParameterMismatchError
from cerulean_coco.format.hashing import fingerprint_folder
from cerulean_coco.format.layout import (
    ANNOTATIONS_NAME,
    LOCK_NAME,
    MANIFEST_NAME,
    PARTS_DIR,
    STAGING_DIR,
    TILES_DIR,
)
from cerulean_coco.format.manifest import Manifest, SceneEntry, package_versions
from cerulean_coco.format.parameters import BuildParameters
from cerulean_tiling import TilingConfig, discover_scenes, parse_scene_id
from cerulean_tiling.command_line import tqdm_disable
from cerulean_tiling.errors import SceneIdError

logger = logging.getLogger(__name__)

_OWN_ENTRIES = {ANNOTATIONS_NAME, MANIFEST_NAME, TILES_DIR, PARTS_DIR, STAGING_DIR, LOCK_NAME}


@dataclass
class BuildReport:
    """What a build did.

    Attributes:
        dataset: the dataset folder.
        skipped: scene ids already committed by an earlier run.
        built: outcomes of the scenes built by this run.
        failed: outcomes of the scenes that failed; when any did, annotations.json
            is not written.
        images, annotations, negatives: totals of the committed scenes (those of the
            written dataset when nothing failed).
    """

    dataset: Path
    skipped: list[str] = field(default_factory=list)
    built: list[SceneOutcome] = field(default_factory=list)
    failed: list[SceneOutcome] = field(default_factory=list)
    images: int = 0
    annotations: int = 0
    negatives: int = 0


def build_parameters(config: TilingConfig) -> BuildParameters:
    """The parameters a dataset is built with; a rebuild must use the same."""
    return BuildParameters(config, PART_FORMAT)


def build_dataset(
    inputs: Sequence[Path],
    output: Path,
    config: TilingConfig,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> BuildReport:
    """Tile scenes into a COCO dataset at ``output``, resuming an interrupted build.

    Args:
        inputs: scene folders, roots of class folders, or text files listing scenes.
        output: the dataset folder (created, or resumed when it holds this build).
        config: tiling settings, passed to cerulean-tiling unchanged.
        workers: LocalCluster worker processes (ignored with ``scheduler``).
        scheduler: address of an existing dask scheduler.
        overwrite: replace a dataset built with other parameters.
        progress: show a progress bar over scenes (None: when stderr is a terminal).

    Returns:
        The report. When scenes failed they are listed in it and in ``manifest.json``,
        and ``annotations.json`` is not written (the committed scenes stay in
        ``parts/`` for a rerun); a folder this build created is removed again when no
        scene was committed to it.

    Raises:
        ParameterMismatchError: ``output`` was built with other parameters.
        OutputError: ``output`` is not a dataset folder, or is being built already.
        CeruleanTilingError: an input is not a scene folder, root or list.
    """
    scene_paths = discover_scenes(inputs)
    parameters = build_parameters(config)
    digest = parameters.digest()
    dataset = Path(output).absolute()
    report = BuildReport(dataset)
    scene_ids = _scene_ids(scene_paths, report)
    created = not dataset.exists()
    try:
        _build_locked(dataset, scene_ids, parameters, digest, overwrite, workers, scheduler,
                      progress, report)
    finally:
        # A folder this build made and committed no scene to holds nothing to resume.
        if created and not any((dataset / PARTS_DIR).glob("*.json")):
            shutil.rmtree(dataset, ignore_errors=True)
    return report


def _build_locked(dataset: Path, scene_ids: dict[str, Path], parameters: BuildParameters,
                  digest: str, overwrite: bool, workers: int, scheduler: str | None,
                  progress: bool | None, report: BuildReport) -> None:
    with _locked(dataset):
        _prepare(dataset, parameters, overwrite)
        shutil.rmtree(dataset / STAGING_DIR, ignore_errors=True)
        parts = load_parts(dataset, digest)
        for scene_id, path in scene_ids.items():
            part = parts.get(scene_id)
            if part is not None and part.input_fingerprint != fingerprint_folder(path):
                logger.warning("%s changed since it was built; rebuilding it", path)
                part_path(dataset, scene_id).unlink(missing_ok=True)
                del parts[scene_id]
        removed = clear_unreferenced_tiles(dataset / TILES_DIR, parts)
        if removed:
            logger.info("cleared %d tile file(s) of unfinished scenes", removed)
        todo = {s: p for s, p in scene_ids.items() if s not in parts}
        report.skipped = sorted(s for s in scene_ids if s in parts)
        if todo or report.failed:
            (dataset / ANNOTATIONS_NAME).unlink(missing_ok=True)
        if todo:
            _run(dataset, todo, parameters, workers, scheduler, progress, report)
        _write(dataset, parameters, digest, report)


def _scene_ids(paths: list[Path], report: BuildReport) -> dict[str, Path]:
    ids: dict[str, Path] = {}
    for path in paths:
        try:
            scene_id = parse_scene_id(path.name).value
        except SceneIdError as exc:
            report.failed.append(SceneOutcome(path.name, str(path), ok=False,
                                              error=f"SceneIdError: {exc}"))
            continue
        if scene_id in ids:
            raise OutputError(f"scene {scene_id} is given twice: {ids[scene_id]} and {path}")
        ids[scene_id] = path
    return ids


@contextlib.contextmanager
def _locked(dataset: Path) -> Iterator[None]:
    try:
        dataset.mkdir(parents=True, exist_ok=True)
        handle = open(dataset / LOCK_NAME, "a")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise OutputError(f"{dataset}: cannot create dataset folder ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{dataset}: another build is writing this dataset") from None
        yield
    finally:
        handle.close()


def _prepare(dataset: Path, parameters: BuildParameters, overwrite: bool) -> None:
    """Refuse or clear an existing dataset, then record the parameters of this build."""
    foreign = sorted(p.name for p in dataset.iterdir()
                     if p.name not in _OWN_ENTRIES and not p.name.startswith("."))
    if foreign:
        raise OutputError(
            f"{dataset}: not a cerulean-coco dataset folder (holds {', '.join(foreign[:3])})"
        )
    if (dataset / MANIFEST_NAME).exists():
        try:
            existing: Manifest | None = Manifest.load(dataset)
        except DatasetReadError:
            if not overwrite:
                raise
            existing = None
        if existing is not None and (existing.kind != "build"
                                     or existing.parameters != parameters):
            if not overwrite:
                raise ParameterMismatchError(
                    f"{dataset}: built with other parameters "
                    f"({_differences(existing.parameters, parameters)}); "
                    "use --overwrite to rebuild it"
                )
            existing = None
        if existing is None:
            logger.warning("%s: overwriting the existing dataset", dataset)
            for name in (ANNOTATIONS_NAME, MANIFEST_NAME):
                (dataset / name).unlink(missing_ok=True)
            for name in (TILES_DIR, PARTS_DIR, STAGING_DIR):
                shutil.rmtree(dataset / name, ignore_errors=True)
    (dataset / TILES_DIR).mkdir(exist_ok=True)
    (dataset / PARTS_DIR).mkdir(exist_ok=True)
    if not (dataset / MANIFEST_NAME).exists():
        Manifest(kind="build", parameters=parameters, versions=package_versions()).save(dataset)


def _differences(old: BuildParameters | None, new: BuildParameters) -> str:
    return "not built by cerulean-coco build" if old is None else old.differences(new)


def _run(dataset: Path, todo: dict[str, Path], parameters: BuildParameters, workers: int,
         scheduler: str | None, progress: bool | None, report: BuildReport) -> None:
    token = uuid.uuid4().hex[:12]
    (dataset / STAGING_DIR / token).mkdir(parents=True)
    jobs = [SceneJob(str(path.absolute()), str(dataset), parameters, token)
            for _, path in sorted(todo.items())]
    with open_client(workers, scheduler) as client, tqdm(
        total=len(jobs), unit="scene", desc="build", disable=tqdm_disable(progress),
    ) as bar:
        futures = client.map(run_scene_job, jobs, pure=False,
                             key=[f"scene-{s}-{token}" for s in sorted(todo)])
        by_key = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            job = by_key[future.key]
            try:
                outcome: SceneOutcome = future.result()
            except Exception as exc:  # a worker died or the cluster failed the task
                outcome = SceneOutcome(Path(job.scene_path).name, job.scene_path, ok=False,
                                       error=f"{type(exc).__name__}: {exc}")
            future.release()
            if outcome.ok:
                report.built.append(outcome)
            else:
                report.failed.append(outcome)
                logger.info("scene %s failed: %s", outcome.scene_path, outcome.error)
            bar.set_postfix(failed=len(report.failed), refresh=False)
            bar.update()
    shutil.rmtree(dataset / STAGING_DIR / token, ignore_errors=True)


def _write(dataset: Path, parameters: BuildParameters, digest: str, report: BuildReport) -> None:
    parts = load_parts(dataset, digest)
    document = assemble_document(parts.values())
    manifest = Manifest(kind="build", parameters=parameters, versions=package_versions())
    fill_manifest(manifest, parts.values())
    for outcome in report.failed:
        manifest.scenes.setdefault(outcome.scene_id, SceneEntry(
            scene_id=outcome.scene_id, status="failed", path=outcome.scene_path,
            seconds=round(outcome.seconds, 3), error=outcome.error,
        ))
    # The manifest goes first: annotations.json is the mark of a finished dataset, and
    # only a build where every scene succeeded may leave one.
    manifest.save(dataset)
    if not report.failed:
        document.save(dataset / ANNOTATIONS_NAME)
    report.images = len(document.images)
    report.annotations = len(document.annotations)
    report.negatives = len(manifest.negatives)


__all__ = ["BuildReport", "build_dataset", "build_parameters"]
