"""One scene's build, as it runs on a dask worker.

The worker tiles the scene into a staging folder of its run, RLE-encodes every
instance-tile, hashes the tile files, moves them into ``tiles/`` and commits the
scene's part file. Only a small :class:`SceneOutcome` travels back to the client, so
the client's memory does not grow with mask payloads.

A run's staging folder doubles as its liveness token: a newer build of the same
dataset clears ``.staging/`` first, and a worker left over from a killed build finds
its staging folder gone and stops before touching ``tiles/`` or ``parts/``.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from cerulean_coco.building.parts import PartTile, ScenePart, commit_part
from cerulean_coco.errors import OutputError
from cerulean_coco.format import rle
from cerulean_coco.format.hashing import fingerprint_folder, sha256_file, sha256_folder
from cerulean_coco.format.layout import STAGING_DIR, TILES_DIR
from cerulean_coco.format.manifest import TileFile
from cerulean_coco.format.parameters import BuildParameters
from cerulean_coco.format.records import AnnotationRecord, ImageRecord
from cerulean_tiling import TileInstance, TileRecord, open_scene, tile_scene
from cerulean_tiling.paths import printable


@dataclass(frozen=True)
class SceneJob:
    """What a worker needs to build one scene; paths are absolute."""

    scene_path: str
    dataset: str
    parameters: BuildParameters
    run_token: str


@dataclass(frozen=True)
class SceneOutcome:
    """What a worker reports back: counts, time, or the error that stopped the scene."""

    scene_id: str
    scene_path: str
    ok: bool
    tiles: int = 0
    instances: int = 0
    empty_tiles: int = 0
    seconds: float = 0.0
    error: str = ""


class StaleRunError(RuntimeError):
    """A newer build of the dataset started; this worker's results must not land."""


def parameters_digest(parameters: BuildParameters) -> str:
    """Digest identifying a set of build parameters (see :meth:`BuildParameters.digest`)."""
    return parameters.digest()


def run_scene_job(job: SceneJob) -> SceneOutcome:
    """Build and commit one scene; failures are reported, never raised.

    The returned outcome carries the error as one line (``Type: message``) so that any
    exception, picklable or not, reaches the client.
    """
    started = time.perf_counter()
    scene_path = Path(job.scene_path)
    scene_id = scene_path.name
    staging = Path(job.dataset) / STAGING_DIR / job.run_token / scene_id
    try:
        scene = open_scene(scene_path)
        scene_id = scene.scene_id.value
        part = _build(job, scene_path, scene.class_folder, staging, started)
    except Exception as exc:  # reported to the client with the scene named
        # printable: the message goes into manifest.json and onto the terminal.
        message = " ".join(printable(exc).split()) \
            or traceback.format_exception_only(exc)[-1].strip()
        return SceneOutcome(scene_id, job.scene_path, ok=False,
                            error=f"{type(exc).__name__}: {message}",
                            seconds=time.perf_counter() - started)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SceneOutcome(scene_id, job.scene_path, ok=True, tiles=len(part.tiles),
                        instances=part.instance_count, empty_tiles=part.empty_count,
                        seconds=part.seconds)


def _build(job: SceneJob, scene_path: Path, class_folder: str, staging: Path,
           started: float) -> ScenePart:
    scene_id = scene_path.name
    config = job.parameters.tiling
    fingerprint = fingerprint_folder(scene_path)
    if not staging.parent.is_dir():
        raise StaleRunError(f"{job.dataset}: run {job.run_token} is over; {scene_id} not built")
    staging.mkdir(exist_ok=True)
    tiling = tile_scene(scene_path, config, out_dir=staging)
    tiles: list[PartTile] = []
    moves: list[Path] = []
    extra: list[str] = []
    for record in sorted(tiling.tiles, key=lambda r: r.name):
        if record.path is None:
            raise OutputError(f"{scene_path}: tile {record.name} was not written")
        moves.append(record.path)
        if record.class_path is not None:
            moves.append(record.class_path)
            extra.append(record.class_path.name)
        tiles.append(PartTile(
            image=_image(record, record.path, class_folder),
            file=TileFile(record.path.stat().st_size, sha256_file(record.path)),
            annotations=tuple(_annotation(inst) for inst in
                              sorted(record.instances, key=lambda i: i.instance_index)
                              if inst.mask.any()),
        ))
    part = ScenePart(
        scene_id=tiling.scene_id,
        scene_path=str(scene_path),
        class_folder=class_folder,
        parameters_digest=parameters_digest(job.parameters),
        input_fingerprint=fingerprint,
        input_sha256=sha256_folder(scene_path),
        seconds=time.perf_counter() - started,
        tiles=tiles,
        extra_files=sorted(extra),
        warnings=list(tiling.warnings),
    )
    tiles_dir = Path(job.dataset) / TILES_DIR
    if not staging.is_dir():
        raise StaleRunError(
            f"{job.dataset}: a newer build took over; {part.scene_id} not committed"
        )
    for source in moves:
        os.replace(source, tiles_dir / source.name)
    commit_part(Path(job.dataset), part)
    return part


def _image(record: TileRecord, path: Path, class_folder: str) -> ImageRecord:
    return ImageRecord(
        id=0,
        file_name=f"{TILES_DIR}/{path.name}",
        width=record.width,
        height=record.height,
        scene_id=record.scene_id,
        class_folder=class_folder,
        grid=record.grid,
        tile_index=tuple(int(v) for v in record.index),
        bounds=record.bounds,
        channels=tuple(record.channels),
        valid_fraction=round(float(record.valid_fraction), 6),
    )


def _annotation(instance: TileInstance) -> AnnotationRecord:
    encoded = rle.encode(instance.mask)
    return AnnotationRecord(
        id=0,
        image_id=0,
        category_id=int(instance.class_id),
        segmentation=encoded,
        area=rle.area(encoded),
        bbox=rle.bbox(encoded),
        layer=instance.layer,
        instance_index=int(instance.instance_index),
    )


__all__ = [
    "SceneJob",
    "SceneOutcome",
    "StaleRunError",
    "parameters_digest",
    "run_scene_job",
]
