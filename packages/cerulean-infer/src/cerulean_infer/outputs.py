"""Writing a scene's results: GeoJSON, settings, probability COG, overlay PNG.

Every file is written through a temporary name and renamed when complete, so an
interrupted run leaves either the whole output or none of it.

- ``OUT.geojson``: the slicks (RFC 7946 FeatureCollection, see
  :func:`cerulean_infer.postprocess.feature_collection`).
- ``OUT.settings.json`` next to it, written last: what produced it (model, backend,
  device, preset, merge, georef, tilesets, aux sources, package versions), tile counts,
  timings and the GeoJSON's SHA-256, so a rerun can tell a finished output from a
  damaged one.
- ``--probabilities F.tif``: the blended scene probability raster as a Cloud-Optimised
  GeoTIFF, one band per class (band descriptions = class names), EPSG:4326. ``uint8``
  stores ``round(p · 250)`` with 255 as nodata; ``float32`` stores p with NaN as nodata.
  No data is where no tile reached or every class is 0 (VV was 0).
- ``--overlay F.png``: the scene's VV on the lattice with each slick filled (half
  transparent) and outlined in its class colour from cerulean-tiling's class table.

The output step comes after minutes of reading and inference, so it is rehearsed first
(:func:`check_outputs`) and any failure in it is one :class:`OutputError` line naming
the file, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from cerulean_infer.errors import OutputError
from cerulean_infer.output_checks import check_output_path, probe_path, probe_slick
from cerulean_tiling.fingerprints import sha256_file

if TYPE_CHECKING:
    from affine import Affine

    from cerulean_infer.bundle import BundleManifest
    from cerulean_infer.records import Slick
    from cerulean_infer.scene import SceneResult

log = logging.getLogger(__name__)

T = TypeVar("T")
ProbabilityDtype = Literal["uint8", "float32"]
UINT8_SCALE = 250
UINT8_NODATA = 255
OVERLAY_ALPHA = 0.45
_FALLBACK_COLOUR = (255, 255, 255)


def settings_path(geojson: Path) -> Path:
    """``OUT.geojson`` → ``OUT.settings.json`` (the settings travel with the output)."""
    return geojson.with_name(f"{geojson.stem}.settings.json")


@dataclass(frozen=True)
class SceneOutputs:
    """The files one scene's run writes.

    Attributes:
        geojson: the slicks; its settings file (:func:`settings_path`) goes next to it.
        overlay: the overlay PNG, if wanted.
        probabilities: the probability COG, if wanted.
        probabilities_dtype: ``uint8`` or ``float32`` (see the module docstring).
    """

    geojson: Path
    overlay: Path | None = None
    probabilities: Path | None = None
    probabilities_dtype: ProbabilityDtype = "uint8"

    @property
    def paths(self) -> list[Path]:
        """Every file written, in the order written: the settings file last."""
        extras = [p for p in (self.probabilities, self.overlay) if p is not None]
        return [*extras, self.geojson, settings_path(self.geojson)]


def check_outputs(outputs: SceneOutputs) -> None:
    """Fail now, not after the scene, when an output cannot be written.

    Cheap checks made before a scene is read: every output's folder exists and takes a
    new file, no output is a folder, and every library feature the output step uses
    works here, found by running that step on a tiny slick that crosses the
    antimeridian and has a hole: its GeoJSON in memory, and the overlay and probability
    COG (when asked for) to hidden files in their folders, removed at once.

    Raises:
        OutputError: naming the output that cannot be written and why.
    """
    from affine import Affine

    for path in outputs.paths:
        check_output_path(path)
    slick = probe_slick()
    guarded(outputs.geojson, "predictions",
            lambda: json.dumps(_collection([slick], "probe", "probe")))
    transform = Affine(0.001, 0.0, 179.995, 0.0, -0.001, 0.006)
    if outputs.overlay is not None:
        with probe_path(outputs.overlay) as probe:
            write_overlay(probe, np.full((8, 8), 100, np.uint8), [slick], transform)
    if outputs.probabilities is not None:
        probabilities = np.zeros((2, 8, 8), np.float32)
        probabilities[1, 2:6, 2:6] = 0.75
        with probe_path(outputs.probabilities) as probe:
            write_probabilities(probe, probabilities, transform, ("background", "oil"),
                                outputs.probabilities_dtype)


def write_scene_outputs(result: SceneResult, outputs: SceneOutputs, manifest: BundleManifest,
                        extra_settings: dict[str, Any] | None = None) -> None:
    """Write a scene's outputs: the probability COG and overlay when asked, the GeoJSON,
    and last its settings file, which records the GeoJSON's SHA-256.

    The GeoJSON is built before any file is written; when a write fails, the files this
    call wrote are removed again, so a scene has all its outputs or none.

    Raises:
        OutputError: one line naming the file that could not be built or written.
    """
    from cerulean_infer.postprocess import write_geojson
    from cerulean_tiling.atomic import write_json

    collection = guarded(outputs.geojson, "predictions", lambda: _collection(
        result.slicks, result.scene_id, manifest.name))
    written: list[Path] = []
    try:
        if outputs.probabilities is not None and result.probabilities is not None:
            write_probabilities(outputs.probabilities, result.probabilities, result.transform,
                                manifest.classes, outputs.probabilities_dtype)
            written.append(outputs.probabilities)
        if outputs.overlay is not None:
            write_overlay(outputs.overlay, result.image, result.slicks, result.transform)
            written.append(outputs.overlay)
        guarded(outputs.geojson, "predictions",
                lambda: write_geojson(outputs.geojson, collection))
        written.append(outputs.geojson)
        settings = {
            **result.settings, **(extra_settings or {}), "versions": _versions(),
            "tiles": result.tiles, "tiles_skipped": result.skipped,
            "tiles_empty": result.empty, "slicks": len(result.slicks),
            "timings_s": result.timings, "geojson_sha256": sha256_file(outputs.geojson),
        }
        target = settings_path(outputs.geojson)
        guarded(target, "inference settings", lambda: write_json(
            target, settings, indent=2, what="inference settings"))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def write_probabilities(path: Path, probabilities: np.ndarray, transform: Affine,
                        classes: tuple[str, ...], dtype: ProbabilityDtype = "uint8") -> None:
    """Write a [K, H, W] probability raster as a COG (see the module docstring).

    Raises:
        OutputError: the raster cannot be written (the message names it).
    """
    if dtype not in ("uint8", "float32"):
        raise OutputError(f"{path}: probability dtype {dtype!r} is not uint8 or float32")
    check_output_path(path)
    guarded(path, "probability raster",
            lambda: _write_cog(path, probabilities, transform, classes, dtype))


def write_overlay(path: Path, image: np.ndarray, slicks: list[Slick], transform: Affine) -> None:
    """Write the scene with its slicks coloured by class (see the module docstring).

    Raises:
        OutputError: the overlay cannot be drawn or written (the message names it).
    """
    check_output_path(path)
    guarded(path, "overlay", lambda: _write_overlay(path, image, slicks, transform))


def class_colour(name: str) -> tuple[int, int, int]:
    """The class table's colour for a class name (merged ``vessel`` takes the vessel red)."""
    from cerulean_tiling import CeruleanTilingError, by_name

    for candidate in (name, f"coincident_{name}"):
        try:
            return by_name(candidate).colour
        except CeruleanTilingError:
            continue
    return _FALLBACK_COLOUR


def guarded(path: Path, what: str, step: Callable[[], T]) -> T:
    """Run one output step; any failure becomes one :class:`OutputError` naming ``path``.

    The output step runs after the whole scene, and a library's own exception there
    (a missing feature, a driver error) must still end the run with one line. The
    traceback goes to the debug log (``-vv``).
    """
    try:
        return step()
    except OutputError:
        raise
    except Exception as exc:
        log.debug("%s: writing %s failed", path, what, exc_info=True)
        reason = " ".join(str(getattr(exc, "strerror", None) or exc).split())
        raise OutputError(f"{path}: cannot write {what} ({type(exc).__name__}: "
                          f"{reason})") from None


def _collection(slicks: list[Slick], scene_id: str, model_name: str) -> dict[str, Any]:
    from cerulean_infer.postprocess import feature_collection

    return feature_collection(slicks, scene_id, model_name)


def _write_cog(path: Path, probabilities: np.ndarray, transform: Affine,
               classes: tuple[str, ...], dtype: ProbabilityDtype) -> None:
    import rasterio

    from cerulean_tiling.atomic import atomic_path

    nodata_mask = ~probabilities.any(axis=0)
    if dtype == "uint8":
        data = np.round(probabilities * UINT8_SCALE).astype(np.uint8)
        data[:, nodata_mask] = UINT8_NODATA
        nodata: float = UINT8_NODATA
    else:
        data = probabilities.astype(np.float32, copy=True)
        data[:, nodata_mask] = np.nan
        nodata = float("nan")
    profile = {
        "driver": "COG", "count": data.shape[0], "height": data.shape[1],
        "width": data.shape[2], "dtype": dtype, "crs": "EPSG:4326", "transform": transform,
        "nodata": nodata, "compress": "DEFLATE", "blocksize": 512,
    }
    with atomic_path(path, what="probability raster") as temp, \
            rasterio.open(temp, "w", **profile) as dst:
        dst.write(data)
        for band, name in enumerate(classes, start=1):
            dst.set_band_description(band, name)


def _write_overlay(path: Path, image: np.ndarray, slicks: list[Slick],
                   transform: Affine) -> None:
    from PIL import Image
    from rasterio.features import rasterize

    from cerulean_tiling.atomic import atomic_path

    rgb = np.repeat(image[:, :, None], 3, axis=2).astype(np.float32)
    shape = image.shape
    for slick in slicks:
        colour = np.asarray(class_colour(slick.class_name), dtype=np.float32)
        fill = rasterize([slick.geometry], out_shape=shape, transform=transform,
                         dtype="uint8").astype(bool)
        edge = rasterize([slick.geometry.boundary], out_shape=shape, transform=transform,
                         dtype="uint8", all_touched=True).astype(bool)
        rgb[fill] = (1 - OVERLAY_ALPHA) * rgb[fill] + OVERLAY_ALPHA * colour
        rgb[edge] = colour
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB")
    with atomic_path(path, what="overlay") as temp:
        picture.save(temp, format="PNG")


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("cerulean-infer", "cerulean-tiling", "torch", "torchvision", "onnxruntime",
                 "rasterio", "shapely"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


__all__ = ["UINT8_NODATA", "UINT8_SCALE", "ProbabilityDtype", "SceneOutputs",
           "check_output_path", "check_outputs", "class_colour", "guarded", "settings_path",
           "write_overlay", "write_probabilities", "write_scene_outputs"]
