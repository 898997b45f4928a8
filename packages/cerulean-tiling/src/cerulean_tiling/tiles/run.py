"""Tiling many scenes into one output folder: resumable, atomic per scene, refusing to mix.

Layout of an output folder::

    OUT/tiling.json              settings and versions of the run (written first)
    OUT/<tile>.tif               image tiles (+ _classes.tif, _masks.tif)
    OUT/scenes/<scene_id>.json   a scene's record; written last, it commits the scene

Rerunning the same command skips committed scenes, so an interrupted run resumes.
Running with other settings on the same folder is refused unless ``overwrite``, which
first deletes the outputs listed in this tool's records there (never other files). A
scene that fails has its partial tiles removed; other scenes go on.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cerulean_tiling.atomic import is_temp
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.errors import CeruleanTilingError, JSONReadError, OutputError
from cerulean_tiling.jsonio import read_json, read_json_object, write_json
from cerulean_tiling.scenes.folder import open_scene
from cerulean_tiling.settings import save_settings
from cerulean_tiling.tiles.pipeline import tile_scene
from cerulean_tiling.types import Bounds, LayerReport, SceneTiling, TileEntry
from cerulean_tiling.version import __version__

logger = logging.getLogger(__name__)

SETTINGS_NAME = "tiling.json"
RECORDS_DIR = "scenes"


@dataclass(frozen=True)
class TiledSceneRecord:
    """``scenes/<scene_id>.json``: one committed scene of a run, as written and read back.

    Attributes:
        scene_id: the scene's product id.
        class_folder: the class folder the scene came from.
        source: the scene folder it was tiled from.
        footprint_bounds: west, south, east, north of the scene footprint.
        layers: what decoding each layer found.
        warnings: warnings of the scene's tiling.
        tiles: the tiles written (file names relative to the output folder).
    """

    scene_id: str
    class_folder: str
    source: str
    footprint_bounds: Bounds
    layers: tuple[LayerReport, ...]
    warnings: tuple[str, ...]
    tiles: tuple[TileEntry, ...]

    @classmethod
    def of(cls, result: SceneTiling, source: Path) -> TiledSceneRecord:
        """The record of a scene just tiled from ``source``."""
        return cls(result.scene_id, result.class_folder, str(source), result.footprint_bounds,
                   tuple(result.layers), tuple(result.warnings),
                   tuple(tile.entry() for tile in result.tiles))

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scene_id": self.scene_id,
            "class_folder": self.class_folder,
            "source": self.source,
            "footprint_bounds": list(self.footprint_bounds),
            "layers": [layer.to_json() for layer in self.layers],
            "warnings": list(self.warnings),
            "tiles": [tile.to_json() for tile in self.tiles],
        }

    @classmethod
    def from_json(cls, data: Any) -> TiledSceneRecord:
        """Parse :meth:`to_json` output (KeyError/TypeError/ValueError when malformed)."""
        w, s, e, n = (float(v) for v in data["footprint_bounds"])
        return cls(
            scene_id=str(data["scene_id"]),
            class_folder=str(data["class_folder"]),
            source=str(data["source"]),
            footprint_bounds=(w, s, e, n),
            layers=tuple(LayerReport.from_json(layer) for layer in data["layers"]),
            warnings=tuple(str(warning) for warning in data["warnings"]),
            tiles=tuple(TileEntry.from_json(tile) for tile in data["tiles"]),
        )

    @classmethod
    def load(cls, path: Path) -> TiledSceneRecord:
        """Read a record file.

        Raises:
            OutputError: unreadable, not JSON, or not a scene record (names the file).
        """
        data = read_json(path, "scene record", error=OutputError)
        try:
            return cls.from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OutputError(f"{path}: not a cerulean-tiling scene record "
                              f"({type(exc).__name__}: {exc})") from None


@dataclass
class RunSummary:
    """What a run did: scenes tiled, skipped (already committed) and failed."""

    tiled: list[SceneTiling] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def tile_scenes(
    scenes: Sequence[Path],
    out: Path,
    config: TilingConfig,
    overwrite: bool = False,
    instance_masks: bool = True,
    on_scene: Callable[[Path], None] | None = None,
) -> RunSummary:
    """Tile ``scenes`` into ``out`` (see module docstring for layout and resume rules).

    Raises:
        OutputError: ``out`` is not writable, or holds other outputs without ``overwrite``.
    """
    created = not out.exists()
    _prepare(out, config, overwrite)
    records = out / RECORDS_DIR
    summary = RunSummary()
    try:
        for path in scenes:
            record = records / f"{path.name}.json"
            if record.exists():
                summary.skipped.append(path.name)
            else:
                try:
                    summary.tiled.append(_tile_one(path, out, config, instance_masks, record))
                except CeruleanTilingError as exc:
                    # Reported in the summary (the CLI prints each failure once).
                    logger.info("scene failed: %s", exc)
                    summary.failed[path.name] = str(exc)
            if on_scene is not None:
                on_scene(path)
    finally:
        # A folder this run created and committed nothing to is not left behind, however
        # the run ended: a tiling.json alone would make the rerun look like a resume.
        if created and not summary.tiled and not summary.skipped:
            shutil.rmtree(out, ignore_errors=True)
    return summary


def settings_document(config: TilingConfig) -> dict[str, Any]:
    """The ``tiling.json`` content: settings plus the producing version."""
    return {"cerulean_tiling": __version__, "tiling": config.to_dict()}


def _prepare(out: Path, config: TilingConfig, overwrite: bool) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output directory ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: output directory is not writable")
    settings = out / SETTINGS_NAME
    wanted = settings_document(config)
    if settings.exists():
        try:
            existing = read_json_object(settings, "tiling settings")
        except JSONReadError:
            existing = None
        same = existing is not None and existing.get("tiling") == wanted["tiling"]
        if not same and not overwrite:
            raise OutputError(
                f"{out}: holds tiles made with other settings; use --overwrite to replace them"
            )
        if not same:
            _remove_outputs(out)
    elif any(out.iterdir()):
        if not overwrite:
            raise OutputError(
                f"{out}: directory is not empty; use --overwrite or an empty directory"
            )
        _remove_outputs(out)
    for stale in out.glob(".*"):
        if is_temp(stale) and stale.is_file():
            stale.unlink(missing_ok=True)
    save_settings(settings, wanted, what="tiling settings")
    (out / RECORDS_DIR).mkdir(exist_ok=True)


def _remove_outputs(out: Path) -> None:
    """Delete what this tool wrote here, as its records list it; leave anything else."""
    records = out / RECORDS_DIR
    if records.is_dir():
        for path in records.glob("*.json"):
            try:
                record = TiledSceneRecord.load(path)
            except OutputError as exc:
                logger.warning("%s; its tiles are left in place", exc)
                continue
            for tile in record.tiles:
                for name in tile.files():
                    (out / name).unlink(missing_ok=True)
        shutil.rmtree(records)
    (out / SETTINGS_NAME).unlink(missing_ok=True)


def _tile_one(
    path: Path, out: Path, config: TilingConfig, instance_masks: bool, record: Path
) -> SceneTiling:
    folder = open_scene(path, config.gcps_from)
    try:
        result = tile_scene(folder, config, out, instance_masks=instance_masks)
    except BaseException:
        for partial in out.glob(f"{folder.scene_id.value}_*.tif"):
            partial.unlink(missing_ok=True)
        raise
    _write_json(record, TiledSceneRecord.of(result, path).to_json())
    return result


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    write_json(path, doc, indent=1, sort_keys=True)
