"""Writing a scene's results: GeoJSON, settings, probability COG, overlay PNG.

Every file is written through a temporary name and renamed when complete, so an
interrupted run leaves either the whole output or none of it.

- ``OUT.geojson``: the slicks (RFC 7946 FeatureCollection, see
  :func:`cerulean_infer.postprocess.feature_collection`).
- ``OUT.settings.json`` next to it: what produced it (model, backend, device, preset,
  merge, georef, tilesets, aux sources, package versions) plus tile counts and timings.
- ``--probabilities F.tif``: the blended scene probability raster as a Cloud-Optimised
  GeoTIFF, one band per class (band descriptions = class names), EPSG:4326. ``uint8``
  stores ``round(p · 250)`` with 255 as nodata; ``float32`` stores p with NaN as nodata.
  No data is where no tile reached or every class is 0 (VV was 0).
- ``--overlay F.png``: the scene's VV on the lattice with each slick filled (half
  transparent) and outlined in its class colour from cerulean-tiling's class table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cerulean_infer.errors import OutputError

if TYPE_CHECKING:
    from affine import Affine

    from cerulean_infer.records import Slick
    from cerulean_infer.scene import SceneResult

ProbabilityDtype = Literal["uint8", "float32"]
UINT8_SCALE = 250
UINT8_NODATA = 255
OVERLAY_ALPHA = 0.45
_FALLBACK_COLOUR = (255, 255, 255)


def settings_path(geojson: Path) -> Path:
    """``OUT.geojson`` → ``OUT.settings.json`` (the settings travel with the output)."""
    return geojson.with_name(f"{geojson.stem}.settings.json")


def write_geojson_outputs(result: SceneResult, path: Path, model_name: str,
                          extra_settings: dict[str, Any] | None = None) -> None:
    """Write the slicks GeoJSON and its settings file next to it."""
    from cerulean_infer import postprocess as post
    from cerulean_tiling import write_json

    collection = post.feature_collection(result.slicks, result.scene_id, model_name)
    settings = {
        **result.settings, **(extra_settings or {}), "versions": _versions(),
        "tiles": result.tiles, "tiles_skipped": result.skipped, "tiles_empty": result.empty,
        "slicks": len(result.slicks), "timings_s": result.timings,
    }
    check_output_path(path)
    post.write_geojson(path, collection)
    try:
        write_json(settings_path(path), settings, indent=2, what="inference settings")
    except OSError as exc:
        raise OutputError(f"{settings_path(path)}: cannot write ({exc})") from None


def write_probabilities(path: Path, probabilities: np.ndarray, transform: Affine,
                        classes: tuple[str, ...], dtype: ProbabilityDtype = "uint8") -> None:
    """Write a [K, H, W] probability raster as a COG (see the module docstring)."""
    import rasterio

    from cerulean_tiling import atomic_path

    nodata_mask = ~probabilities.any(axis=0)
    if dtype == "uint8":
        data = np.round(probabilities * UINT8_SCALE).astype(np.uint8)
        data[:, nodata_mask] = UINT8_NODATA
        nodata: float = UINT8_NODATA
    elif dtype == "float32":
        data = probabilities.astype(np.float32, copy=True)
        data[:, nodata_mask] = np.nan
        nodata = float("nan")
    else:
        raise OutputError(f"{path}: probability dtype {dtype!r} is not uint8 or float32")
    check_output_path(path)
    profile = {
        "driver": "COG", "count": data.shape[0], "height": data.shape[1],
        "width": data.shape[2], "dtype": dtype, "crs": "EPSG:4326", "transform": transform,
        "nodata": nodata, "compress": "DEFLATE", "blocksize": 512,
    }
    try:
        with atomic_path(path, what="probability raster") as temp, \
                rasterio.open(temp, "w", **profile) as dst:
            dst.write(data)
            for band, name in enumerate(classes, start=1):
                dst.set_band_description(band, name)
    except (OSError, rasterio.errors.RasterioError) as exc:
        raise OutputError(f"{path}: cannot write probability raster ({exc})") from None


def write_overlay(path: Path, image: np.ndarray, slicks: list[Slick], transform: Affine) -> None:
    """Write the scene with its slicks coloured by class (see the module docstring)."""
    from PIL import Image
    from rasterio.features import rasterize

    from cerulean_tiling import atomic_path

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
    check_output_path(path)
    try:
        with atomic_path(path, what="overlay") as temp:
            picture.save(temp, format="PNG")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write overlay ({exc})") from None


def class_colour(name: str) -> tuple[int, int, int]:
    """The class table's colour for a class name (merged ``vessel`` takes the vessel red)."""
    from cerulean_tiling import CeruleanTilingError, by_name

    for candidate in (name, f"coincident_{name}"):
        try:
            return by_name(candidate).colour
        except CeruleanTilingError:
            continue
    return _FALLBACK_COLOUR


def check_output_path(path: Path) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written (its folder exists)."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise OutputError(f"{path}: the folder {parent} does not exist")
    if Path(path).is_dir():
        raise OutputError(f"{path}: is a folder")


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


__all__ = ["UINT8_NODATA", "UINT8_SCALE", "ProbabilityDtype", "check_output_path",
           "class_colour", "settings_path", "write_geojson_outputs", "write_overlay",
           "write_probabilities"]
