"""--georef serving: tiles as the service's tiler (rio-tiler) renders them, and the whole
serving mode against a reference built from rio-tiler tiles, the model and the service's
post-processing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from infer_doubles import TEST_TILE, TEST_ZOOM, scene_as_grd
from rasterio.transform import from_bounds

from cerulean_infer import SceneError, merge_tilesets_serving, service_tilesets, unet_slicks
from cerulean_infer.scene import _TilerCanvas
from cerulean_infer.sources import open_source
from cerulean_infer.tilesets import SERVING_OFFSETS, model_lattice, plan_tiles
from cerulean_tiling import GCPSet, Georeference, SyntheticScene, grd_gcps
from tests.support.grd import write_grd

rio_tiler = pytest.importorskip("rio_tiler", reason="the serving extra (rio-tiler)")
morecantile = pytest.importorskip("morecantile")

Bounds = tuple[float, float, float, float]


def curved_gcps(width: int, height: int) -> GCPSet:
    """A dense (21 × 10) GCP grid of a swath that bends along track and stretches across
    it: no affine map and no single polynomial fits it exactly."""
    cols, rows = np.meshgrid(np.linspace(0, width, 21), np.linspace(0, height, 10))
    cols, rows = cols.ravel(), rows.ravel()
    u, v = cols / width - 0.5, rows / height - 0.5
    across = u * width * 20.0 * (1 + 0.25 * u + 0.2 * u**3)
    along = v * height * 20.0 + 0.08 * width * 20.0 * u**2 + 0.03 * height * 20.0 * v**3
    theta = np.radians(-12.0)
    east = across * np.cos(theta) + along * np.sin(theta)
    north = -across * np.sin(theta) - along * np.cos(theta)
    lat = 60.0 + north / 111_400.0
    lon = 5.0 + east / (111_320.0 * np.cos(np.radians(lat)))
    return GCPSet(rows, cols, lon, lat, width, height, "curved")


def speckled_grd(path: Path, width: int = 1400, height: int = 1000) -> Path:
    """A GRD-like uint16 raster: gamma speckle (many values above 255), zero margins."""
    rng = np.random.default_rng(7)
    image = rng.gamma(3.0, 80.0, size=(height, width)).astype(np.uint16) + 1
    image[:, :40] = 0
    image[:, -40:] = 0
    return write_grd(path, image, curved_gcps(width, height), blockysize=16)


def rio_tiler_tile(reader: Any, bounds: Bounds, size: int) -> np.ndarray:
    """What the service's tiler returns: part() at 512-style size, nodata 0, rescale 0–255."""
    image = reader.part(bounds, dst_crs="EPSG:4326", bounds_crs="EPSG:4326", width=size,
                        height=size, nodata=0)
    return np.clip(image.data[0], 0, 255).astype(np.uint8)


def test_serving_tiles_are_rio_tilers(tmp_path: Path) -> None:
    grd = speckled_grd(tmp_path / "S1A_IW_GRDH_1SDV_20210601T050000_20210601T050025_"
                                  "038000_047000_ABCD.tif")
    lattice = model_lattice(TEST_ZOOM, TEST_TILE)
    source = open_source(grd, lattice.res, georef="serving")
    try:
        plan = plan_tiles(lattice, TEST_TILE, source.footprint, SERVING_OFFSETS,
                          bounds=source.bounds)
        canvas = _TilerCanvas(source, plan, [None])
        ours = {(t.tileset, t.row, t.col): canvas.cut(t)[0] for t in plan.tiles}
    finally:
        source.close()
    identical = total = compared = 0
    with rio_tiler.io.Reader(str(grd)) as reader:
        assert source.bounds == pytest.approx(reader.get_geographic_bounds("EPSG:4326"))
        for k, tiles in enumerate(service_tilesets(source.bounds, TEST_ZOOM,
                                                   SERVING_OFFSETS)):
            for i, j, bounds in tiles:
                theirs = rio_tiler_tile(reader, bounds, TEST_TILE)
                if (k, i, j) not in ours:
                    # Not read: beyond the footprint, and so no data for the service too.
                    assert not theirs.any()
                    continue
                compared += 1
                identical += int((ours[k, i, j] == theirs).sum())
                total += theirs.size
    assert compared == len(ours) and compared > 30
    assert identical / total >= 0.99


def test_serving_placement_is_the_gcp_polynomial_not_the_spline(tmp_path: Path) -> None:
    """The service's tiles follow GDAL's polynomial through the GCPs; the spline passes
    through them. On a curved grid the two part by pixels, and the service's tiles agree
    with rasterio's GCP warp (not with the spline's placement) wherever they agree."""
    from rasterio.transform import GCPTransformer

    gcps = curved_gcps(1400, 1000)
    georef = Georeference.from_gcps(gcps)
    lattice = model_lattice(TEST_ZOOM, TEST_TILE)
    rows, cols = np.meshgrid(np.linspace(0, 1000, 41), np.linspace(0, 1400, 41))
    points = [rasterio.control.GroundControlPoint(row=float(r), col=float(c), x=float(x),
                                                  y=float(y))
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    poly_lon, poly_lat = GCPTransformer(points).xy(rows.ravel(), cols.ravel(), offset="ul")
    tps_lon, tps_lat = georef.to_lonlat(cols.ravel(), rows.ravel())
    apart = np.hypot(np.asarray(poly_lon) - tps_lon, np.asarray(poly_lat) - tps_lat)
    assert apart.max() / lattice.res > 1.0  # the service is pixels off the GCPs' curve


@pytest.fixture(scope="module")
def serving_grd(clean_scenes: list[SyntheticScene],
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scene_as_grd(clean_scenes[0], tmp_path_factory.mktemp("serving") / "scene.tif")


def reference_slicks(predictor: Any, grd: Path) -> list[Any]:
    """The service's way, from its parts: rio-tiler tiles at the service's bounds, empty
    tiles dropped, the model per tile, tiles pasted per tileset and polygonised, the
    tilesets merged."""
    size = TEST_TILE
    per_tileset = []
    with rio_tiler.io.Reader(str(grd)) as reader:
        bounds = reader.get_geographic_bounds("EPSG:4326")
        for tiles in service_tilesets(bounds, TEST_ZOOM, SERVING_OFFSETS):
            predicted = []
            for i, j, box in tiles:
                pixels = rio_tiler_tile(reader, box, size)
                if pixels.any():
                    probs = predictor.predict_tiles(pixels[None, None]).probabilities[0]
                    predicted.append((i, j, box, probs))
            i0 = min(p[0] for p in predicted)
            j0 = min(p[1] for p in predicted)
            i1 = max(p[0] for p in predicted) + 1
            j1 = max(p[1] for p in predicted) + 1
            raster = np.zeros((4, (i1 - i0) * size, (j1 - j0) * size), dtype=np.float32)
            for i, j, _, probs in predicted:
                raster[:, (i - i0) * size:(i - i0 + 1) * size,
                       (j - j0) * size:(j - j0 + 1) * size] = probs
            west = next(b[0] for i, j, b, _ in predicted if j == j0)
            north = next(b[3] for i, j, b, _ in predicted if i == i0)
            res = (predicted[0][2][2] - predicted[0][2][0]) / size
            transform = from_bounds(west, north - raster.shape[1] * res,
                                    west + raster.shape[2] * res, north, raster.shape[2],
                                    raster.shape[1])
            per_tileset.append(unet_slicks(raster, transform, predictor.manifest.classes,
                                           predictor.preset))
    return merge_tilesets_serving(per_tileset, predictor.preset)


def test_serving_mode_equals_the_services_parts(dark_bundle: Path, serving_grd: Path) -> None:
    from shapely.ops import unary_union

    from cerulean_infer import Predictor, predict_scene

    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    result = predict_scene(predictor, serving_grd, merge="serving", georef="serving")
    reference = reference_slicks(predictor, serving_grd)
    assert len(reference) >= 2
    assert len(result.slicks) == len(reference)
    ours = unary_union([s.geometry for s in result.slicks])
    theirs = unary_union([s.geometry for s in reference])
    assert ours.intersection(theirs).area / ours.union(theirs).area >= 0.98
    assert result.settings["georef"] == "serving"
    assert result.image.any()


def test_affine_is_refused_and_serving_needs_a_scene(tmp_path: Path) -> None:
    lattice = model_lattice(TEST_ZOOM, TEST_TILE)
    with pytest.raises(SceneError, match="use georef 'serving'"):
        open_source(tmp_path, lattice.res, georef="affine")
    with pytest.raises(SceneError, match="no such scene"):
        open_source(tmp_path / "missing.tif", lattice.res, georef="serving")


def test_real_size_gcp_grid_polynomial_vs_spline() -> None:
    """On a real-size 210-GCP grid (25 000 × 17 000, 10 m pixels) the GCP polynomial and
    the spline agree to a fraction of a model pixel: a smooth swath needs no more."""
    from rasterio.transform import GCPTransformer

    gcps = grd_gcps(25_000, 17_000)
    lattice = model_lattice(9, 512)
    rows, cols = np.meshgrid(np.linspace(0, 17_000, 35), np.linspace(0, 25_000, 51))
    points = [rasterio.control.GroundControlPoint(row=float(r), col=float(c), x=float(x),
                                                  y=float(y))
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    poly_lon, poly_lat = GCPTransformer(points).xy(rows.ravel(), cols.ravel(), offset="ul")
    tps_lon, tps_lat = Georeference.from_gcps(gcps).to_lonlat(cols.ravel(), rows.ravel())
    apart = np.hypot(np.asarray(poly_lon) - tps_lon, np.asarray(poly_lat) - tps_lat)
    assert apart.max() / lattice.res < 1.0
    assert np.median(apart) / lattice.res < 0.2
