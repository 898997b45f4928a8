"""Whole-scene inference with the known-function UNet over scenes with known slicks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from infer_doubles import TEST_ZOOM, manifest, scene_as_grd, truth_polygons, write_bundle
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

from cerulean_infer import (
    ChannelMismatchError,
    Predictor,
    SceneError,
    predict_scene,
    scene_batches,
)
from cerulean_tiling import SyntheticScene
from tests.support.models import DarkIsOil

INNER_MARGIN_DEG = 0.01


def _iou_inside(scene: SyntheticScene, predicted: list, truth: list) -> float:
    """IoU of predicted and true slicks in lon/lat, away from the swath's edges."""
    inner = Polygon(zip(*scene.footprint.lonlat(
        np.array([0, scene.footprint.width, scene.footprint.width, 0]),
        np.array([0, 0, scene.footprint.height, scene.footprint.height])), strict=True)
    ).buffer(-INNER_MARGIN_DEG)
    pred = unary_union(predicted).intersection(inner)
    true = unary_union(truth).intersection(inner)
    return float(pred.intersection(true).area / pred.union(true).area)


@pytest.mark.parametrize("merge", ["ours", "serving"])
def test_slicks_match_truth_in_lonlat(clean_scenes: list[SyntheticScene], dark_results: Any,
                                      merge: str) -> None:
    for index, scene in enumerate(clean_scenes):
        result = dark_results(index, merge)
        truth = truth_polygons(scene)
        assert result.slicks
        assert _iou_inside(scene, [s.geometry for s in result.slicks], truth) >= 0.8
        for slick in result.slicks:
            assert slick.class_name == "infra_slick" and slick.inf_idx == 1
            assert 0.5 <= slick.machine_confidence <= 1.0


def test_slick_crossing_tiles_is_one_polygon_without_duplicates(
        clean_scenes: list[SyntheticScene], dark_results: Any) -> None:
    """A true slick that a tile edge cuts meets exactly one predicted slick (both merges)."""
    tile_deg = 180 / 2 ** TEST_ZOOM
    checked = 0
    for index, scene in enumerate(clean_scenes):
        truth = truth_polygons(scene)
        for merge in ("ours", "serving"):
            slicks = dark_results(index, merge).slicks
            for i, polygon in enumerate(truth):
                west, south, east, north = polygon.bounds
                cut = (math.floor((west + 180) / tile_deg) != math.floor((east + 180) / tile_deg)
                       or math.floor((90 - north) / tile_deg)
                       != math.floor((90 - south) / tile_deg))
                alone = not any(polygon.buffer(0.005).intersects(o)
                                for j, o in enumerate(truth) if j != i)
                if cut and alone and polygon.geom_type == "Polygon":
                    checked += 1
                    assert sum(s.geometry.intersects(polygon) for s in slicks) == 1
    assert checked >= 4


def test_tilesets_cover_and_model_sees_every_tile(dark_bundle: Path, dark_results: Any,
                                                   clean_scenes: list[SyntheticScene]) -> None:
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    one = predict_scene(predictor, clean_scenes[0].path, tilesets=1)
    three = dark_results(0)
    assert three.tiles > 2 * one.tiles
    assert one.skipped > 0  # tiles of the bounding box outside the rotated swath
    assert one.probabilities is not None and three.probabilities is not None
    oil1, oil3 = one.probabilities[1:].sum(0), three.probabilities[1:].sum(0)
    # Blending three tilesets of a per-pixel model changes nothing inside the data (but
    # for slick-edge pixels: the warp's coarse grid is anchored at the rendered window).
    both = (oil1 > 0) & (oil3 > 0)
    assert np.mean(np.abs(oil1[both] - oil3[both]) < 1e-3) > 0.999


def test_scene_batches_are_what_the_scene_run_gives_the_model(
        dark_bundle: Path, clean_scenes: list[SyntheticScene]) -> None:
    predictor = Predictor.from_bundle(dark_bundle, backend="torch", device="cpu")
    seen: list[np.ndarray] = []
    model = predictor.predict_tiles

    def record(batch: np.ndarray) -> Any:  # a spy: the model still runs on every batch
        seen.append(batch.copy())
        return model(batch)

    predictor.predict_tiles = record  # type: ignore[method-assign]
    result = predict_scene(predictor, clean_scenes[0].path, tilesets=2, batch_size=3)
    batches = list(scene_batches(predictor, clean_scenes[0].path, tilesets=2, batch_size=3))
    assert sum(len(b) for b in batches) == result.tiles > 0
    assert len(batches) == len(seen)
    for ours, given in zip(batches, seen, strict=True):
        assert ours.dtype == np.uint8 and len(ours) <= 3
        np.testing.assert_array_equal(ours, given)


def test_batch_size_changes_nothing_but_memory(dark_bundle: Path,
                                               clean_scenes: list[SyntheticScene]) -> None:
    predictor = Predictor.from_bundle(dark_bundle, backend="torch", device="cpu")
    assert predictor.batch_size == 1  # on CPU a bigger batch only holds more activations
    default = predict_scene(predictor, clean_scenes[0].path, tilesets=1)
    batched = predict_scene(predictor, clean_scenes[0].path, tilesets=1, batch_size=5)
    assert (default.settings["batch_size"], batched.settings["batch_size"]) == (1, 5)
    assert default.probabilities is not None and batched.probabilities is not None
    np.testing.assert_allclose(default.probabilities, batched.probabilities, atol=1e-6)
    assert [s.geometry.area for s in default.slicks] == pytest.approx(
        [s.geometry.area for s in batched.slicks])


def test_grd_geotiff_matches_scene_folder(dark_bundle: Path, clean_scenes: list[SyntheticScene],
                                          dark_results: Any, tmp_path: Path) -> None:
    scene = clean_scenes[0]
    grd = scene_as_grd(scene, tmp_path / f"{scene.scene_id}.tif", factor=3)
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    from_folder = dark_results(0)
    from_grd = predict_scene(predictor, grd)
    assert from_grd.scene_id == scene.scene_id
    assert from_grd.settings["decimation"] >= 2
    a = unary_union([s.geometry for s in from_folder.slicks])
    b = unary_union([s.geometry for s in from_grd.slicks])
    assert a.intersection(b).area / a.union(b).area > 0.9


def test_land_mask_skips_tiles(dark_bundle: Path, clean_scenes: list[SyntheticScene],
                               dark_results: Any, tmp_path: Path) -> None:
    import json

    scene = clean_scenes[0]
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    full = dark_results(0)
    west, south, east, north = full.lattice.bounds(full.window)
    land = shapely.box(west - 1, south - 1, (west + east) / 2, north + 1)
    path = tmp_path / "land.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(land)}]}))
    masked = predict_scene(predictor, scene.path, land=path)
    assert masked.tiles < full.tiles and masked.skipped > full.skipped
    for slick in masked.slicks:
        assert not land.contains(slick.geometry)


def test_aux_channels_are_computed_when_the_model_takes_them(
        clean_scenes: list[SyntheticScene], tmp_path: Path) -> None:
    import torch

    bundle = write_bundle(tmp_path / "aux.bundle", DarkIsOil(channels=3),
                          torch.rand(1, 3, 128, 128),
                          manifest(channels=("vv", "infra_distance", "constant")))
    predictor = Predictor.from_bundle(bundle, backend="torch")
    scene = clean_scenes[0]
    infra = scene.path.parent.parent / "infrastructure.geojson"
    with pytest.raises(ChannelMismatchError, match="infra_distance"):
        predict_scene(predictor, scene.path)
    result = predict_scene(predictor, scene.path, aux=[f"infra_distance={infra}"])
    assert result.slicks
    assert result.settings["aux"][0].startswith("infra_distance=")


def test_bad_scenes_and_options(dark_bundle: Path, tmp_path: Path) -> None:
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    with pytest.raises(SceneError, match="junk.tif"):
        predict_scene(predictor, tmp_path / "junk.tif")
    with pytest.raises(SceneError, match="no such"):
        predict_scene(predictor, tmp_path / "missing.tif")
    with pytest.raises(SceneError, match="Background.png"):
        predict_scene(predictor, tmp_path)
    import rasterio

    with rasterio.open(tmp_path / "plain.tif", "w", driver="GTiff", width=8, height=8,
                       count=1, dtype="uint8") as dst:
        dst.write(np.ones((1, 8, 8), dtype=np.uint8))
    with pytest.raises(SceneError, match="neither GCPs"):
        predict_scene(predictor, tmp_path / "plain.tif")
    with pytest.raises(SceneError, match="merge"):
        predict_scene(predictor, tmp_path / "plain.tif", merge="median")
    with pytest.raises(SceneError, match="georef"):
        predict_scene(predictor, tmp_path / "plain.tif", georef="quadratic")
