"""The one path from tile predictions to slicks: given tiles, one tileset, edges, models
described before they load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from infer_doubles import TEST_TILE, TEST_ZOOM, manifest

from cerulean_infer import (
    BundleError,
    PlacedTile,
    Predictor,
    SceneError,
    ServingRow,
    TilePredictions,
    describe_model,
    merge_scene,
    merge_tilesets_serving,
    model_lattice,
    tiles_plan,
)
from cerulean_infer.presets import preset
from cerulean_tiling import Window

CLASSES = manifest().classes
LATTICE = model_lattice(TEST_ZOOM, TEST_TILE)
T = TEST_TILE


def _probabilities(oil: np.ndarray) -> np.ndarray:
    """[K, H, W] softmax with ``oil`` as infra_slick and the rest background."""
    out = np.zeros((len(CLASSES), *oil.shape), dtype=np.float32)
    out[1] = oil
    out[0] = 1.0 - oil
    return out


def _two_tiles_with_a_slick_across_their_edge() -> tuple[list[Window], np.ndarray]:
    windows = [Window(40 * T, 70 * T, T, T), Window(40 * T, 71 * T, T, T)]
    oil = np.full((T, 2 * T), 1e-5, dtype=np.float32)  # data everywhere, no oil
    oil[50:60, T - 30:T + 40] = 0.95  # one band, cut by the tiles' shared edge
    tiles = np.stack([_probabilities(oil[:, :T]), _probabilities(oil[:, T:])])
    return windows, tiles


@pytest.mark.parametrize("merge", ["ours", "serving"])
def test_a_slick_crossing_a_tile_edge_is_one_slick(merge: str) -> None:
    windows, tiles = _two_tiles_with_a_slick_across_their_edge()
    plan = tiles_plan(LATTICE, T, windows)
    assert [(t.tileset, t.row, t.col) for t in plan.tiles] == [(0, 0, 0), (0, 0, 1)]
    assert plan.scene_window == Window(40 * T, 70 * T, T, 2 * T)
    merged = merge_scene(plan, [(plan.tiles, TilePredictions(probabilities=tiles))],
                         arch="unet", classes=CLASSES, preset=preset("unet-serving"),
                         merge=merge)
    assert len(merged.slicks) == 1 and not merged.ensemble
    west, south, east, north = merged.slicks[0].geometry.bounds
    assert (east - west) / LATTICE.res == pytest.approx(70) and \
        (north - south) / LATTICE.res == pytest.approx(10)


def test_one_tileset_skips_the_ensemble_that_would_drop_every_slick() -> None:
    windows, tiles = _two_tiles_with_a_slick_across_their_edge()
    plan = tiles_plan(LATTICE, T, windows)
    # Fed one tile at a time, as a model would, the answer is the same.
    batches = [([plan.tiles[i]], TilePredictions(probabilities=tiles[i:i + 1]))
               for i in range(2)]
    merged = merge_scene(plan, iter(batches), arch="unet", classes=CLASSES,
                         preset=preset("unet-serving"), merge="serving")
    assert len(merged.slicks) == 1 and not merged.ensemble
    # The service's ensemble keeps only slicks another slick confirms: given one
    # tileset it drops this lone slick, which is why the merge skips it.
    assert merge_tilesets_serving([merged.slicks], preset("unet-serving")) == []


def test_given_tiles_must_lie_on_the_grid() -> None:
    with pytest.raises(SceneError, match="is not a 128-pixel tile of the grid"):
        tiles_plan(LATTICE, T, [Window(5, 0, T, T)])
    with pytest.raises(SceneError, match="no tiles"):
        tiles_plan(LATTICE, T, [])
    with pytest.raises(SceneError, match="merge 'both'"):
        merge_scene(tiles_plan(LATTICE, T, [Window(0, 0, T, T)]), [], arch="unet",
                    classes=CLASSES, preset=preset("unet-serving"), merge="both")


def test_maskrcnn_tiles_of_one_tileset_keep_their_slicks() -> None:
    from cerulean_infer import InstancePrediction

    windows = [Window(40 * T, 70 * T, T, T)]
    mask = np.zeros((T, T), dtype=np.float32)
    mask[30:50, 30:90] = 0.9
    found = [InstancePrediction(1, 0.8, (30.0, 30.0, 90.0, 50.0), mask)]
    plan = tiles_plan(LATTICE, T, windows)
    for merge in ("ours", "serving"):
        merged = merge_scene(plan, [(plan.tiles, TilePredictions(instances=[found]))],
                             arch="maskrcnn", classes=CLASSES,
                             preset=preset("maskrcnn-serving"), merge=merge)
        assert len(merged.slicks) == 1 and merged.slicks[0].class_name == "infra_slick"


def test_describe_a_bundle_and_a_production_file(dark_bundle: Path, tmp_path: Path) -> None:
    described = describe_model(dark_bundle)
    assert described.kind == "bundle" and described.row is None
    assert described.preset(thresholds={"poly_score_thresh": 0.7}).poly_score_thresh == 0.7
    row = ServingRow.from_manifest(manifest(), preset("unet-serving")).to_json()
    row["thresholds"]["pixel_score_thresh"] = 0.8
    (tmp_path / "row.json").write_text(json.dumps(row))
    with_row = describe_model(dark_bundle, tmp_path / "row.json")
    assert with_row.preset().pixel_score_thresh == 0.8 and with_row.kind == "bundle"
    # A bundle's own row is the one it is served with.
    own = tmp_path / "own.bundle"
    shutil.copytree(dark_bundle, own)
    shutil.copy(tmp_path / "row.json", own / "cerulean-cloud-model.json")
    assert describe_model(own).preset().pixel_score_thresh == 0.8
    production = describe_model(dark_bundle / "model.ts", tmp_path / "row.json")
    assert production.kind == "serving" and production.manifest.classes == CLASSES
    predictor = production.load(device="cpu")
    assert isinstance(predictor, Predictor) and predictor.preset.pixel_score_thresh == 0.8
    with pytest.raises(BundleError, match="needs --model-row"):
        describe_model(dark_bundle / "model.ts")
    with pytest.raises(BundleError, match="preset 'maskrcnn-serving' is for maskrcnn"):
        described.preset("maskrcnn-serving")


def test_rows_that_contradict_the_bundle(dark_bundle: Path, tmp_path: Path) -> None:
    row = ServingRow.from_manifest(manifest(), preset("unet-serving")).to_json()
    row["cls_map"] = {"0": "BACKGROUND", "1": "INFRA", "2": "NATURAL"}
    (tmp_path / "three.json").write_text(json.dumps(row))
    with pytest.raises(BundleError, match="three.json: cls_map names 3 classes, the model"):
        describe_model(dark_bundle, tmp_path / "three.json")
    row = ServingRow.from_manifest(manifest(), preset("unet-serving")).to_json()
    row["type"] = "MASKRCNN"
    (tmp_path / "mrcnn.json").write_text(json.dumps(row))
    with pytest.raises(BundleError, match="type MASKRCNN does not match the bundle's arch"):
        describe_model(dark_bundle, tmp_path / "mrcnn.json")


def test_placed_tiles_are_records() -> None:
    tile = PlacedTile(0, 1, 2, Window(T, 2 * T, T, T))
    assert tile.window.col == 2 * T and tile.tileset == 0
