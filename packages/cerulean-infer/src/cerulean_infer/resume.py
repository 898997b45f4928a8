"""What a rerun of ``predict-many`` may skip: the run's settings and finished outputs.

Settings travel with the outputs, as in cerulean-tiling and cerulean-coco builds:

- ``OUT/predict-many.json`` (written before any scene) holds the run's settings
  (:func:`cerulean_infer.many.run_settings` computes them), all that decides a scene's
  GeoJSON: the model (by the SHA-256 of the file run), backend,
  device kind, precision, classes, thresholds, merge, georef, tilesets, aux, land
  and sea-ice sources. A rerun with other settings is refused, naming the keys that differ, unless
  ``overwrite``, which first removes the outputs the earlier run recorded (nothing else).
- A scene is finished when its settings file (``<scene>.settings.json``, written after
  its GeoJSON) parses, carries this run's settings and the SHA-256 of the GeoJSON beside
  it, and that GeoJSON parses. Any other output (damaged, half-written, made otherwise)
  is predicted again, so an interrupted run resumes to the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from cerulean_infer.errors import OutputError, PredictionsError
from cerulean_infer.version import __version__
from cerulean_tiling.errors import JSONReadError
from cerulean_tiling.fingerprints import setting_differences, sha256_file
from cerulean_tiling.jsonio import read_json_object
from cerulean_tiling.settings import Settings, save_settings

log = logging.getLogger(__name__)

RUN_SETTINGS = "predict-many.json"


class RunSettings(Settings):
    """All that decides a scene's GeoJSON in a many-scene run (saved in
    ``predict-many.json`` and in each scene's settings file, and compared on a rerun in
    their saved form, :meth:`to_dict`).

    Attributes:
        model: the model's name; ``model_sha256`` the SHA-256 of the file run.
        arch, backend, device, precision: what ran it (``device`` is the kind, not the
            index: a rerun on another GPU is the same run).
        zoom, tile_size, channels, classes: the model's grid, inputs and class names.
        preset: the post-processing thresholds used, thresholds given included.
        merge, georef, tilesets: how tiles became slicks.
        aux: ``NAME=PATH`` sources with absolute paths; ``land``, ``sea_ice``: the
            reclassification sources (absolute), or None.
    """

    error: ClassVar[type[Exception]] = OutputError

    model: str
    model_sha256: str
    arch: str
    backend: str
    device: str
    precision: str
    zoom: int
    tile_size: int
    channels: list[str]
    classes: list[str]
    preset: dict[str, Any]
    merge: str
    georef: str
    tilesets: int
    aux: list[str]
    land: str | None
    sea_ice: str | None


def unfinished(target: Path, settings: RunSettings) -> str | None:
    """Why ``target`` is not a finished output of a run with ``settings`` (None: it is)."""
    from cerulean_infer.outputs import settings_path
    from cerulean_infer.postprocess import read_geojson

    record = settings_path(target)
    if not target.is_file():
        return "no output yet"
    doc = _record(record)
    if doc is None:
        return f"{record.name} is missing or unreadable"
    if doc.get("run") != settings.to_dict():
        return f"{record.name} records other settings"
    if doc.get("geojson_sha256") != sha256_file(target):
        return f"{target.name} does not match the SHA-256 its settings record"
    try:
        read_geojson(target)
    except PredictionsError as exc:
        return str(exc)
    return None


def prepare_folder(out_dir: Path, settings: RunSettings, targets: list[Path],
                   overwrite: bool) -> None:
    """Refuse (or, with ``overwrite``, clear) predictions of other settings; record ours.

    Raises:
        OutputError: ``out_dir`` holds predictions of other settings, or files at
            ``targets`` that no run recorded, and ``overwrite`` is not set.
    """
    path = out_dir / RUN_SETTINGS
    wanted = settings.to_dict()
    if path.exists():
        recorded = (_record(path) or {}).get("settings")
        if recorded != wanted:
            if not overwrite:
                what = "unreadable" if recorded is None else setting_differences(recorded, wanted)
                raise OutputError(f"{out_dir}: holds predictions made with other settings "
                                  f"({what}); use --overwrite to replace them")
            _remove_recorded_outputs(out_dir)
    else:
        unknown = [t for t in targets if t.exists()]
        if unknown and not overwrite:
            raise OutputError(f"{unknown[0]}: exists, and {out_dir} has no {RUN_SETTINGS} "
                              "saying what made it; use --overwrite to replace it")
    save_settings(path, {"cerulean_infer": __version__, "settings": wanted}, what="run settings")


def _remove_recorded_outputs(out_dir: Path) -> None:
    """Delete the GeoJSONs (and settings) an earlier run recorded here; nothing else
    (the run's summary is replaced at its end)."""
    from cerulean_infer.outputs import settings_path

    removed = 0
    for geojson in sorted(out_dir.glob("*.geojson")):
        record = settings_path(geojson)
        doc = _record(record)
        if doc is not None and "run" in doc:
            geojson.unlink(missing_ok=True)
            record.unlink(missing_ok=True)
            removed += 1
    log.warning("%s: removed %d prediction(s) of other settings", out_dir, removed)


def recorded_slicks(target: Path) -> int | None:
    """The slick count a finished output's settings file records."""
    from cerulean_infer.outputs import settings_path

    count = (_record(settings_path(target)) or {}).get("slicks")
    return count if isinstance(count, int) else None


def _record(path: Path) -> dict[str, Any] | None:
    """The JSON object a run wrote at ``path``, or None where there is no readable one
    (a run killed before writing it counts as not having written it)."""
    try:
        return read_json_object(path, "run record")
    except JSONReadError:
        return None


__all__ = ["RUN_SETTINGS", "RunSettings", "prepare_folder", "recorded_slicks", "unfinished"]
