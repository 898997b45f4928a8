from __future__ import annotations

from pathlib import Path

import numpy as np

from cerulean_coco.building.build import build_parameters
from cerulean_coco.building.parts import ScenePart
from cerulean_coco.building.scenejob import SceneJob, run_scene_job
from cerulean_coco.format import rle
from cerulean_coco.format.layout import PARTS_DIR, STAGING_DIR, TILES_DIR
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.scenes.folder import discover_scenes
from cerulean_tiling.tiles.pipeline import tile_scene


def _dataset(tmp_path: Path, token: str) -> Path:
    dataset = tmp_path / "ds"
    for name in (TILES_DIR, PARTS_DIR, f"{STAGING_DIR}/{token}"):
        (dataset / name).mkdir(parents=True)
    return dataset


def test_job_commits_the_tiler_output_as_rle(scene_root: Path, tmp_path: Path) -> None:
    scene = discover_scenes([scene_root])[0]
    dataset = _dataset(tmp_path, "run1")
    job = SceneJob(str(scene), str(dataset), build_parameters(TilingConfig()), "run1")
    outcome = run_scene_job(job)
    assert outcome.ok, outcome.error
    part = ScenePart.load(dataset / PARTS_DIR / f"{scene.name}.json")
    assert part.scene_id == scene.name == outcome.scene_id
    assert sorted(p.name for p in (dataset / TILES_DIR).iterdir()) == sorted(part.file_names())
    assert list((dataset / STAGING_DIR / "run1").iterdir()) == []

    reference = tile_scene(scene, TilingConfig())
    assert [t.name for t in sorted(reference.tiles, key=lambda t: t.name)] == [
        Path(t.image.file_name).stem for t in part.tiles]
    by_name = {t.name: t for t in reference.tiles}
    checked = 0
    for tile in part.tiles:
        expected = by_name[Path(tile.image.file_name).stem]
        assert tile.image.bounds == expected.bounds
        assert len(tile.annotations) == len(expected.instances)
        for ann, inst in zip(tile.annotations, sorted(expected.instances,
                                                      key=lambda i: i.instance_index),
                             strict=True):
            np.testing.assert_array_equal(rle.decode(ann.segmentation), inst.mask)
            assert ann.category_id == inst.class_id
            assert ann.area == inst.area
            checked += 1
    assert checked == outcome.instances > 0


def test_stale_run_commits_nothing(scene_root: Path, tmp_path: Path) -> None:
    scene = discover_scenes([scene_root])[0]
    dataset = _dataset(tmp_path, "current")
    job = SceneJob(str(scene), str(dataset), build_parameters(TilingConfig()), "killed-run")
    outcome = run_scene_job(job)
    assert not outcome.ok
    assert outcome.error.startswith("StaleRunError")
    assert list((dataset / PARTS_DIR).iterdir()) == []
    assert list((dataset / TILES_DIR).iterdir()) == []


def test_failure_is_reported_not_raised(scene_root: Path, tmp_path: Path) -> None:
    source = discover_scenes([scene_root])[0]
    broken = tmp_path / "scenes" / source.parent.name / source.name
    broken.mkdir(parents=True)
    for item in source.iterdir():
        (broken / item.name).write_bytes(item.read_bytes())
    (broken / "Background.png").write_bytes(b"not a png")
    dataset = _dataset(tmp_path, "run")
    outcome = run_scene_job(SceneJob(str(broken), str(dataset),
                                     build_parameters(TilingConfig()), "run"))
    assert not outcome.ok
    assert "Background.png" in outcome.error and "\n" not in outcome.error
    assert list((dataset / PARTS_DIR).iterdir()) == []
