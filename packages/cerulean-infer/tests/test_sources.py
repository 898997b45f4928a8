"""Reading scenes: decimated GRD reads, and the service's affine GCP placement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from infer_doubles import scene_as_grd
from rasterio.transform import from_gcps
from rasterio.warp import Resampling, reproject

from cerulean_infer.sources import affine_gcps, open_source
from cerulean_infer.tilesets import model_lattice
from cerulean_tiling import SyntheticScene, read_gcps_json


@pytest.fixture(scope="module")
def grd(clean_scenes: list[SyntheticScene], tmp_path_factory: pytest.TempPathFactory) -> Path:
    scene = clean_scenes[1]
    return scene_as_grd(scene, tmp_path_factory.mktemp("grd") / "scene.tif", factor=3)


def test_grd_is_read_reduced_and_clipped(grd: Path) -> None:
    lattice = model_lattice(12, 128)
    source = open_source(grd, lattice.res)
    f = source.decimation
    assert f >= 2 and source.image is not None
    with rasterio.open(grd) as src:
        full = src.read(1).astype(np.float64)
    h, w = source.image.shape
    blocks = full[:h * f, :w * f].reshape(h, f, w, f).mean(axis=(1, 3))
    expected = np.clip(blocks, 0, 255)
    assert np.abs(source.image.astype(np.float64) - expected).max() <= 1.0
    assert source.image.max() == 255  # the ×2 values above 255 were clipped


def test_affine_georef_places_the_scene_as_the_service(grd: Path) -> None:
    """--georef affine puts every pixel where one affine from_gcps transform puts it."""
    lattice = model_lattice(12, 128)
    affine = open_source(grd, lattice.res, georef="affine")
    spline = open_source(grd, lattice.res, georef="spline")
    with rasterio.open(grd) as src:
        gcps, _ = src.gcps
        full = src.read(1)
    transform = from_gcps(gcps)
    f = affine.decimation
    assert affine.georef is not None and spline.georef is not None
    h, w = affine.image.shape if affine.image is not None else (0, 0)
    cols = np.array([0.0, w, w, 0.0, w / 2])
    rows = np.array([0.0, 0.0, h, h, h / 2])
    lon, lat = affine.georef.to_lonlat(cols, rows)
    expected = [transform * (c * f, r * f) for c, r in zip(cols, rows, strict=True)]
    np.testing.assert_allclose(np.column_stack([lon, lat]), expected, atol=1e-9)
    # The synthetic swath is not affine: the spline places its corners elsewhere.
    slon, slat = spline.georef.to_lonlat(cols, rows)
    assert np.max(np.hypot(slon - lon, slat - lat)) > lattice.res
    # Rendered like GDAL reprojecting the raster through that one transform.
    window = lattice.window_for(affine.bounds)
    ours = affine.render(lattice, window).astype(np.float64)
    theirs = np.zeros((window.height, window.width), dtype=np.float32)
    reproject(np.clip(full, 0, 255).astype(np.float32), theirs, src_transform=transform,
              src_crs="EPSG:4326", dst_transform=lattice.transform(window),
              dst_crs="EPSG:4326", resampling=Resampling.average, src_nodata=0, dst_nodata=0)
    both = (ours > 0) & (theirs > 0)
    assert both.mean() > 0.5
    assert np.mean(np.abs(ours[both] - theirs[both]) <= 2) > 0.98


def test_affine_gcps_lie_on_one_affine(clean_scenes: list[SyntheticScene]) -> None:
    gcps = read_gcps_json(clean_scenes[0].path / "gcps.json")
    fitted = affine_gcps(gcps)
    design = np.column_stack([np.ones(len(gcps)), gcps.cols, gcps.rows])
    coef, *_ = np.linalg.lstsq(design, np.column_stack([fitted.lon, fitted.lat]),
                                         rcond=None)
    assert np.abs(design @ coef - np.column_stack([fitted.lon, fitted.lat])).max() < 1e-10
    assert np.abs(fitted.lon - gcps.lon).max() > 1e-4  # the real GCPs are not affine
