"""Whole-scene correctness on synthetic scenes with a known georeference."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import MaskFlags

from cerulean_tiling.config import ChannelSpec, TilingConfig
from cerulean_tiling.geo.gcps import metres_per_degree
from cerulean_tiling.synthetic.scenes import SyntheticScene
from cerulean_tiling.tiles.pipeline import tile_scene

Root = tuple[Path, list[SyntheticScene]]


def _instance_centroids(tiles: list, lattice_res: float) -> dict[str, tuple[float, float]]:
    """lon/lat centroid of each instance, accumulated over all tiles it spans."""
    sums: dict[str, list[float]] = {}
    for tile in tiles:
        west, _, _, north = tile.bounds
        for inst in tile.instances:
            rows, cols = np.nonzero(inst.mask)
            acc = sums.setdefault(inst.layer, [0.0, 0.0, 0.0])
            acc[0] += float((west + (cols + 0.5) * lattice_res).sum())
            acc[1] += float((north - (rows + 0.5) * lattice_res).sum())
            acc[2] += rows.size
    return {k: (v[0] / v[2], v[1] / v[2]) for k, v in sums.items()}


def test_instances_land_within_one_output_pixel_of_truth(synthetic_root: Root) -> None:
    _, scenes = synthetic_root
    res = 180 / 2**9 / 512
    checked = 0
    for scene in scenes:
        result = tile_scene(scene.path, TilingConfig())
        centroids = _instance_centroids(result.tiles, res)
        for truth in scene.instances:
            lon, lat = centroids[truth.layer]
            m_lon, m_lat = metres_per_degree(lat)
            err_px = np.hypot((lon - truth.centroid_lonlat[0]) * m_lon,
                              (lat - truth.centroid_lonlat[1]) * m_lat) / (res * m_lat)
            assert err_px < 1.0, (scene.scene_id, truth.layer, err_px)
            checked += 1
    assert checked == sum(len(s.instances) for s in scenes)


def test_instance_classes_and_areas_follow_the_layers(synthetic_root: Root) -> None:
    scene = synthetic_root[1][2]
    result = tile_scene(scene.path, TilingConfig())
    by_layer: dict[str, int] = {}
    for tile in result.tiles:
        for inst in tile.instances:
            truth = next(i for i in scene.instances if i.layer == inst.layer)
            assert inst.class_id == truth.class_id
            by_layer[inst.layer] = by_layer.get(inst.layer, 0) + inst.area
    for truth in scene.instances:
        # Source pixels are 40 m, output pixels ~76 x 69 m: area shrinks by about 3.3.
        ratio = truth.pixels / by_layer[truth.layer]
        assert 2.0 < ratio < 5.0, (truth.layer, ratio)


def test_every_tile_written_once_with_the_declared_format(synthetic_root: Root,
                                                          tmp_path: Path) -> None:
    scene = synthetic_root[1][0]
    config = TilingConfig(aux=(ChannelSpec("constant", "200"),), class_rasters=True)
    result = tile_scene(scene.path, config, tmp_path)
    names = [t.name for t in result.tiles]
    assert len(names) == len(set(names)) > 0
    written = sorted(p.name for p in tmp_path.glob("*.tif") if not p.stem.endswith("_classes"))
    assert written == sorted(f"{n}.tif" for n in names)
    for tile in result.tiles:
        assert tile.path is not None and tile.class_path is not None
        with rasterio.open(tile.path) as src:
            assert (src.count, src.width, src.height) == (2, 512, 512)
            assert src.dtypes == ("uint8", "uint8")
            assert src.descriptions == ("vv", "constant")
            assert src.crs.to_epsg() == 4326
            assert src.profile["compress"] == "deflate"
            assert src.bounds == pytest.approx(tile.bounds, abs=1e-9)
            data = src.read()
        assert (data[1] == 200).all()
        assert np.count_nonzero(data[0]) / data[0].size == pytest.approx(tile.valid_fraction)
        with rasterio.open(tile.class_path) as src:
            classes = src.read(1)
        expected = np.zeros_like(classes)
        for inst in tile.instances:
            expected[inst.mask] = inst.class_id
        np.testing.assert_array_equal(classes, expected)


def test_tiles_say_where_their_no_data_is(synthetic_root: Root, tmp_path: Path) -> None:
    """VV 0 (outside the scene) is an internal per-dataset mask; aux zeros stay data."""
    scene = synthetic_root[1][0]
    config = TilingConfig(aux=(ChannelSpec("constant", "0"),), class_rasters=True)
    result = tile_scene(scene.path, config, tmp_path)
    edge = [t for t in result.tiles if t.valid_fraction < 1]
    assert edge, "the scene should have tiles on its border"
    for tile in result.tiles:
        assert tile.path is not None and tile.class_path is not None
        with rasterio.open(tile.path) as src:
            assert src.nodatavals == (None, None)
            assert all(flags == [MaskFlags.per_dataset] for flags in src.mask_flag_enums)
            vv = src.read(1)
            masks = src.read_masks()
            masked = src.read(masked=True)
        expected = np.where(vv != 0, 255, 0).astype(np.uint8)
        for band_mask in masks:
            np.testing.assert_array_equal(band_mask, expected)
        # The constant-0 aux band is data inside the scene, no-data only outside it.
        assert int(np.ma.count(masked[1])) == np.count_nonzero(vv)
        with rasterio.open(tile.class_path) as src:
            assert src.mask_flag_enums == ([MaskFlags.all_valid],)


def test_outputs_identical_across_runs(synthetic_root: Root, tmp_path: Path) -> None:
    scene = synthetic_root[1][1]
    config = TilingConfig(aux=(ChannelSpec("infra_distance",
                                           str(synthetic_root[0] / "infrastructure.geojson")),))
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        out.mkdir()
        tile_scene(scene.path, config, out)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(out.iterdir())})
    assert digests[0] == digests[1] and digests[0]


def test_pixel_grid_tiles_cover_all_instances(synthetic_root: Root) -> None:
    scene = synthetic_root[1][0]
    tms = tile_scene(scene.path, TilingConfig())
    pixel = tile_scene(scene.path, TilingConfig(grid="pixel", tile_size=256, overlap=0))
    area = {"tms": 0, "pixel": 0}
    for key, result in (("tms", tms), ("pixel", pixel)):
        area[key] = sum(i.area for t in result.tiles for i in t.instances)
    assert all(t.name.startswith(f"{scene.scene_id}_px_") for t in pixel.tiles)
    # Same resolution, different lattice origin: areas agree to resampling noise.
    assert area["pixel"] == pytest.approx(area["tms"], rel=0.05)
