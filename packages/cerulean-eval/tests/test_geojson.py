"""GeoJSON slicks as they come from elsewhere: a bow tie is repaired and scored, a polygon
off the globe or without area is refused in one line, and metrics.json stays JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_coco import CocoDataset
from cerulean_eval import read_slicks
from cerulean_eval.errors import PredictionsError
from cerulean_tiling import CLASSES, ClassMap


def _ring_over_slick(dataset: CocoDataset, bow_tie: bool) -> tuple[list[list[float]], str, str]:
    """A ring over the largest true slick's box in lon/lat, its class name and scene."""
    annotation = max(dataset.annotations, key=lambda a: a.area)
    image = next(im for im in dataset.images if im.id == annotation.image_id)
    name = next(c.name for c in dataset.categories if c.id == annotation.category_id)
    west, south, east, north = image.bounds
    x, y, w, h = annotation.bbox

    def lonlat(col: float, row: float) -> list[float]:
        return [west + (east - west) * col / image.width,
                north - (north - south) * row / image.height]

    corners = ([(x, y), (x + w, y + h), (x + w, y), (x, y + h)] if bow_tie
               else [(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
    ring = [lonlat(c, r) for c, r in corners]
    return [*ring, ring[0]], name, image.scene_id


def _predictions(path: Path, ring: list[list[float]], name: str, scene_id: str) -> Path:
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
               "properties": {"class": name, "inf_idx": 1, "machine_confidence": 0.9,
                              "scene_id": scene_id}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def _strict(path: Path) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{path} holds {token}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_a_self_intersecting_prediction_is_repaired_and_scored(
        run_cli: Callable[..., Any], dataset: CocoDataset, dataset_dir: Path,
        tmp_path: Path) -> None:
    ring, name, scene = _ring_over_slick(dataset, bow_tie=True)
    predictions = _predictions(tmp_path / "bow.geojson", ring, name, scene)
    out = tmp_path / "out"
    result = run_cli("score", "--coco", dataset_dir, "--predictions", predictions, "-o", out)
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "bow.geojson: repaired 1 invalid" in lines[0], result.err
    assert isinstance(_strict(out / "metrics.json"), dict)


@pytest.mark.parametrize(("shift", "says"), [
    ((0.0, 100.0), "coordinates outside lon -180..180, lat -90..90"),
    ((400.0, 0.0), "coordinates outside lon -180..180"),
    ((float("nan"), 0.0), "coordinates are not finite numbers"),
])
def test_coordinates_that_are_not_lonlat_are_refused(
        run_cli: Callable[..., Any], dataset: CocoDataset, dataset_dir: Path, tmp_path: Path,
        shift: tuple[float, float], says: str) -> None:
    ring, name, scene = _ring_over_slick(dataset, bow_tie=False)
    # One vertex moves (the ring stays closed; a NaN first vertex would not close it).
    moved = [[lon + shift[0], lat + shift[1]] if k == 1 else [lon, lat]
             for k, (lon, lat) in enumerate(ring)]
    predictions = _predictions(tmp_path / "far.geojson", moved, name, scene)
    out = tmp_path / "out"
    result = run_cli("score", "--coco", dataset_dir, "--predictions", predictions, "-o", out)
    err = result.err.strip()
    assert result.code == 1 and err.startswith("Error: ") and "\n" not in err, err
    assert f"{predictions}: feature 0: {says}" in err
    assert not out.exists()


def test_a_polygon_without_area_is_refused(run_cli: Callable[..., Any], dataset: CocoDataset,
                                           dataset_dir: Path, tmp_path: Path) -> None:
    ring, name, scene = _ring_over_slick(dataset, bow_tie=False)
    flat = [[lon, ring[0][1]] for lon, _ in ring]
    predictions = _predictions(tmp_path / "flat.geojson", flat, name, scene)
    result = run_cli("score", "--coco", dataset_dir, "--predictions", predictions,
                     "-o", tmp_path / "out")
    assert result.code == 1 and "feature 0: polygon encloses no area" in result.err


@pytest.mark.parametrize(("content", "says"), [
    (None, r"cannot read slicks file \(No such file or directory\)"),
    ('{"type": "FeatureCollection", ', r"slicks file is not valid JSON \(.* line 1 column 31\)"),
    ('{"type": "Feature"}', "slicks file is not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": null}', "slicks file has no 'features' list"),
])
def test_a_file_that_is_not_a_feature_collection_is_one_line(tmp_path: Path, content: str | None,
                                                             says: str) -> None:
    path = tmp_path / "truth.geojson"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PredictionsError, match=f"^{path}: {says}$"):
        read_slicks(path, ClassMap.build(CLASSES, "cloud4"))


@pytest.mark.parametrize(("args", "says"), [
    (["score", "--predictions", "{results}", "--preset", "cloud5"], "'cloud5' is not one of"),
    (["run", "--bundle", "{dataset}", "--device", "tpu"], "'tpu' is not auto, cpu, cuda"),
    (["run", "--bundle", "{dataset}", "--backend", "tensorrt"], "'tensorrt' is not one of"),
])
def test_option_values_out_of_range_exit_2(run_cli: Callable[..., Any], dataset_dir: Path,
                                           truth_results: Path, tmp_path: Path,
                                           args: list[str], says: str) -> None:
    filled = [a.format(results=truth_results, dataset=dataset_dir) for a in args]
    out = tmp_path / "out"
    result = run_cli(*filled, "--coco", dataset_dir, "-o", out)
    err = result.err.strip()
    assert result.code == 2 and err.startswith("Error: ") and says in err, err
    assert not out.exists()
