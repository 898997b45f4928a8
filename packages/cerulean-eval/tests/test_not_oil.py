"""Served slicks the service stores as LAND or SEA_ICE are not oil detections.

A constructed scene: class rasters of the dataset with three served slicks painted on
open sea where there is no truth: one 500 m from a coastline polygon, one on an ice
polygon, one in open water. Scored through ``cerulean-eval score`` with and without the
land and sea-ice masks; then the reclassified slicks.geojson scored as GeoJSON.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_bounds
from shapely.geometry import box, mapping

from cerulean_coco import CocoDataset
from cerulean_eval import dataset_classes
from cerulean_eval.truth import truth_instances, truth_raster
from cerulean_tiling.channels import VV, read_tile_channels

SIDE = 12
"""Pixels a side of each painted slick."""
GAP = 70
"""Pixels between slicks (~5 km at zoom 9: no mask near one reaches another)."""


def _place(dataset: CocoDataset) -> tuple[Any, list[tuple[int, int]]]:
    """A tile and three squares on it in a row, each wholly on data far from any truth."""
    classes = dataset_classes(dataset.categories)
    for sample in dataset.iter_samples():
        vv = read_tile_channels(sample.path, (VV,))[0][0]
        truth = truth_raster(truth_instances(sample, classes), vv.shape) > 0
        # Squares with data in every pixel and no truth within GAP / 2 pixels.
        for r in range(0, vv.shape[0] - SIDE, 8):
            spots = []
            for c in range(GAP // 2, vv.shape[1] - SIDE - GAP // 2, 4):
                near = truth[max(0, r - GAP // 2):r + SIDE + GAP // 2,
                             c - GAP // 2:c + SIDE + GAP // 2]
                if (vv[r:r + SIDE, c:c + SIDE] > 0).all() and not near.any() and (
                        not spots or c - spots[-1][1] >= GAP):
                    spots.append((r, c))
                if len(spots) == 3:
                    return sample, spots
    raise AssertionError("no tile has room for three slicks")


def _lonlat(image: Any, r: int, c: int) -> tuple[float, float, float, float]:
    west, south, east, north = image.bounds
    dx, dy = (east - west) / image.width, (north - south) / image.height
    return west + c * dx, north - (r + SIDE) * dy, west + (c + SIDE) * dx, north - r * dy


@pytest.fixture(scope="module")
def scene(dataset: CocoDataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Rasters with the three slicks, a coastline 500 m west of the first, an ice floe
    under the second (as GeoJSON and as a raster in EPSG:3857), and a CRS-less raster."""
    root = tmp_path_factory.mktemp("not-oil")
    sample, spots = _place(dataset)
    rasters = root / "rasters"
    rasters.mkdir()
    for image in dataset.images:
        raster = np.zeros((image.height, image.width), np.uint8)
        if image.id == sample.image.id:
            for r, c in spots:
                raster[r:r + SIDE, c:c + SIDE] = 1
        with rasterio.open(rasters / f"{image.name}.tif", "w", driver="GTiff",
                           width=image.width, height=image.height, count=1,
                           dtype="uint8") as dst:
            dst.write(raster, 1)
    coast, floe, _ = (_lonlat(sample.image, r, c) for r, c in spots)
    metre = 1 / 111_000  # degrees of latitude; longitude degrees are wider still
    land = box(coast[0] - 3_000 * metre, coast[1], coast[0] - 500 * metre, coast[3])
    ice = box(floe[0] - 100 * metre, floe[1] - 100 * metre, floe[2] + 100 * metre,
              floe[3] + 100 * metre)
    out = {"rasters": rasters, "land": root / "land.geojson", "ice": root / "ice.geojson",
           "ice_tif": root / "ice.tif", "no_crs": root / "no_crs.tif",
           "points": root / "points.geojson"}
    for path, geometry in ((out["land"], land), (out["ice"], ice)):
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": mapping(geometry)}]}))
    out["points"].write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {
        "type": "Point", "coordinates": [coast[0], coast[1]]}}))
    from rasterio.warp import transform_bounds

    mercator = transform_bounds("EPSG:4326", "EPSG:3857", *ice.bounds)
    with rasterio.open(out["ice_tif"], "w", driver="GTiff", width=20, height=20, count=1,
                       dtype="uint8", crs="EPSG:3857",
                       transform=from_bounds(*mercator, 20, 20)) as dst:
        dst.write(np.ones((20, 20), np.uint8), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(out["no_crs"], "w", driver="GTiff", width=4, height=4, count=1,
                           dtype="uint8") as dst:
            dst.write(np.ones((4, 4), np.uint8), 1)
    return out


def _score(run_cli: Callable[..., Any], dataset_dir: Path, predictions: Path, out: Path,
           *extra: str | Path) -> dict[str, Any]:
    result = run_cli("score", "--coco", dataset_dir, "--predictions", predictions, "-o", out,
                     "--no-progress", "--bootstrap", "0", "--no-diagnostic", *extra)
    assert result.code == 0, result.err
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return metrics


def test_slicks_near_land_and_on_ice_are_not_counted(
        run_cli: Callable[..., Any], dataset_dir: Path, scene: dict[str, Path],
        tmp_path: Path) -> None:
    plain = _score(run_cli, dataset_dir, scene["rasters"], tmp_path / "plain")
    assert plain["summary"]["slicks_predicted"] == plain["summary"]["slicks_false"] == 3
    assert plain["reclassified"]["slicks"] == {"LAND": 0, "SEA_ICE": 0}
    assert plain["reclassified"]["land"] is None and plain["reclassified"]["sea_ice"] is None
    for ice in (scene["ice"], scene["ice_tif"]):
        out = tmp_path / ice.suffix[1:]
        masked = _score(run_cli, dataset_dir, scene["rasters"], out, "--land", scene["land"],
                        "--sea-ice", ice)
        s = masked["summary"]
        assert s["slicks_predicted"] == s["slicks_false"] == 1, ice
        assert s["slick_precision"] == 0.0 and s["slicks_true"] == plain["summary"]["slicks_true"]
        record = masked["reclassified"]
        assert record["slicks"] == {"LAND": 1, "SEA_ICE": 1}
        assert record["land"] == str(scene["land"]) and record["sea_ice"] == str(ice)
        assert record["land_distance_m"] == 1000.0 and sum(record["scenes"].values()) == 2
        # Fewer oil pixels painted: the two reclassified slicks are not oil on the pixels.
        cm_plain = np.array(plain["pixel"]["confusion"]["counts"])
        cm = np.array(masked["pixel"]["confusion"]["counts"])
        assert cm[0, 1] == cm_plain[0, 1] // 3 and cm[0, 0] == cm_plain[0, 0] + 2 * cm[0, 1]
        features = json.loads((out / "slicks.geojson").read_text())["features"]
        stored = sorted(f["properties"]["stored_class"] for f in features)
        assert stored == ["LAND", "SEA_ICE", "infra_slick"]
        assert [f["properties"]["matched"] for f in features
                if f["properties"]["stored_parent"] == "NOT_OIL"] == [None, None]


def test_geojson_slicks_keep_their_stored_class(
        run_cli: Callable[..., Any], dataset_dir: Path, scene: dict[str, Path],
        tmp_path: Path) -> None:
    first = tmp_path / "first"
    _score(run_cli, dataset_dir, scene["rasters"], first, "--land", scene["land"],
           "--sea-ice", scene["ice"])
    again = _score(run_cli, dataset_dir, first / "slicks.geojson", tmp_path / "again",
                   "--allow-empty")
    assert again["summary"]["slicks_predicted"] == 1
    assert again["reclassified"]["slicks"] == {"LAND": 1, "SEA_ICE": 1}
    refused = run_cli("score", "--coco", dataset_dir, "--predictions",
                      first / "slicks.geojson", "-o", tmp_path / "no", "--land", scene["land"])
    assert refused.code == 1 and "stored_class they carry" in refused.err
    assert not (tmp_path / "no").exists()


def test_bad_land_and_ice_files_are_one_line_and_write_nothing(
        run_cli: Callable[..., Any], dataset_dir: Path, scene: dict[str, Path],
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    cases = {"the sea-ice raster has no CRS": ("--sea-ice", scene["no_crs"]),
             "the land mask holds no polygon (found Point)": ("--land", scene["points"]),
             "no such sea-ice mask file": ("--sea-ice", tmp_path / "ice_{date}.tif")}
    for message, (flag, path) in cases.items():
        result = run_cli("score", "--coco", dataset_dir, "--predictions", scene["rasters"],
                         "-o", out, flag, path)
        err = result.err.strip()
        assert result.code == 1 and err.startswith("Error: ") and "\n" not in err, err
        assert message in err and str(path).split("{")[0] in err, err
        assert not out.exists()
