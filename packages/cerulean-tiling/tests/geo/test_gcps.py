from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS

from cerulean_tiling.errors import GCPError, SceneReadError
from cerulean_tiling.geo.gcps import GCPSet, read_gcps_from_raster, read_gcps_json
from cerulean_tiling.synthetic.geometry import Footprint


def _grid(width: int = 4000, height: int = 3000) -> GCPSet:
    return Footprint(55.0, 25.0, -10.0, width // 4, height // 4).gcps()


def test_json_round_trip_and_scaling(tmp_path: Path) -> None:
    gcps = _grid()
    path = tmp_path / "gcps.json"
    path.write_text(json.dumps(gcps.to_json()))
    read = read_gcps_json(path)
    assert (read.width, read.height, len(read)) == (gcps.width, gcps.height, 210)
    scaled = read.scaled_to(gcps.width // 4, gcps.height // 4)
    np.testing.assert_allclose(scaled.rows, gcps.rows / 4)
    np.testing.assert_allclose(scaled.cols, gcps.cols / 4)
    np.testing.assert_array_equal(scaled.lon, gcps.lon)


def test_scaling_refuses_other_aspect_ratio() -> None:
    with pytest.raises(GCPError, match="aspect ratio"):
        _grid().scaled_to(1000, 1000)


def test_reads_gcps_from_grd_geotiff(tmp_path: Path) -> None:
    gcps = _grid(800, 600)
    path = tmp_path / "grd.tif"
    points = [GroundControlPoint(row=r, col=c, x=x, y=y, z=0.0)
              for r, c, x, y in zip(gcps.rows, gcps.cols, gcps.lon, gcps.lat, strict=True)]
    with rasterio.open(path, "w", driver="GTiff", width=gcps.width, height=gcps.height, count=1,
                       dtype="uint8", gcps=points, crs=CRS.from_epsg(4326)) as dst:
        dst.write(np.zeros((1, gcps.height, gcps.width), dtype=np.uint8))
    read = read_gcps_from_raster(path)
    assert (read.width, read.height) == (gcps.width, gcps.height)
    np.testing.assert_allclose(np.sort(read.lon), np.sort(gcps.lon))


def test_raster_without_gcps_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1,
                       dtype="uint8") as dst:
        dst.write(np.zeros((1, 8, 8), dtype=np.uint8))
    with pytest.raises(GCPError, match="no GCPs"):
        read_gcps_from_raster(path)
    with pytest.raises(SceneReadError, match="missing.tif"):
        read_gcps_from_raster(tmp_path / "missing.tif")


def test_coverage_checks() -> None:
    gcps = _grid()
    too_few = GCPSet(gcps.rows[:2], gcps.cols[:2], gcps.lon[:2], gcps.lat[:2], gcps.width,
                     gcps.height, "few.json")
    with pytest.raises(GCPError, match="few.json: 2 GCPs, at least 3"):
        too_few.check_coverage()
    half = gcps.rows <= gcps.height / 2
    partial = GCPSet(gcps.rows[half], gcps.cols[half], gcps.lon[half], gcps.lat[half],
                     gcps.width, gcps.height, "half.json")
    with pytest.raises(GCPError, match="half.json: .*does not cover"):
        partial.check_coverage()
    gcps.check_coverage()


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "gcps.json"
    bad.write_text('{"width": 10, "gcps": []}')
    with pytest.raises(GCPError, match="gcps.json: key 'height' is missing"):
        read_gcps_json(bad)
    bad.write_text('{"width": 10, "height": 5, "gcps": [{"row": 0, "col": 0, "x": 1}]}')
    with pytest.raises(GCPError, match=r"gcps.json: key 'gcps\[0\].y' is missing"):
        read_gcps_json(bad)
    bad.write_text('[1, 2]')
    with pytest.raises(GCPError, match="must be an object"):
        read_gcps_json(bad)
    bad.write_text("{not json")
    with pytest.raises(SceneReadError, match="gcps.json: GCP sidecar is not valid JSON"):
        read_gcps_json(bad)
