from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from cerulean_coco.building.build import BuildReport, build_dataset
from cerulean_coco.describe.validate import validate_dataset
from cerulean_coco.errors import ParameterMismatchError
from cerulean_coco.format.layout import PARTS_DIR, STAGING_DIR, TILES_DIR
from cerulean_coco.format.manifest import Manifest
from cerulean_coco.format.records import class_table_categories
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.scenes.folder import discover_scenes


def test_two_worker_build_writes_a_complete_dataset(n_scenes: int, built: BuildReport,
                                                    scene_root: Path) -> None:
    report = built
    assert len(report.built) == n_scenes and not report.failed and not report.skipped
    manifest = Manifest.load(built.dataset)
    assert manifest.kind == "build"
    assert manifest.parameters is not None and manifest.parameters.tiling == TilingConfig()
    assert {s.status for s in manifest.scenes.values()} == {"built"}
    assert sorted(manifest.scenes) == sorted(p.name for p in discover_scenes([scene_root]))
    assert len(manifest.negatives) == report.negatives > 0
    for image in manifest.negatives:
        assert (built.dataset / image.file_name).is_file()
    coco = COCO(str(built.dataset / "annotations.json"))
    assert len(coco.getImgIds()) == report.images > 0
    assert len(coco.getAnnIds()) == report.annotations > report.images
    assert [c["id"] for c in coco.loadCats(coco.getCatIds())] == [
        c.id for c in class_table_categories()]
    for image in coco.loadImgs(coco.getImgIds()):
        assert (built.dataset / image["file_name"]).is_file()
        assert image["scene_id"] in manifest.scenes
        assert len(image["bounds"]) == 4 and image["grid"] == "tms"
    for ann in coco.loadAnns(coco.getAnnIds()):
        assert isinstance(ann["segmentation"]["counts"], str)
        assert coco.annToMask(ann).sum() == ann["area"] > 0
    assert len(list((built.dataset / PARTS_DIR).iterdir())) == n_scenes
    assert not (built.dataset / STAGING_DIR).exists() or not any(
        (built.dataset / STAGING_DIR).iterdir())


@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_ground_truth_against_itself_scores_ap_one(built: BuildReport, iou_type: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(built.dataset / "annotations.json"))
        detections = [dict(a, score=1.0) for a in truth.loadAnns(truth.getAnnIds())]
        for det in detections:
            det.pop("id")
        evaluation = COCOeval(truth, truth.loadRes(detections), iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)  # AP @ IoU 0.50:0.95
    assert evaluation.stats[1] == pytest.approx(1.0)  # AP @ IoU 0.50


@pytest.fixture(scope="module")
def one_worker_build(scene_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-worker") / "dataset"
    report = build_dataset([scene_root], out, TilingConfig(), workers=1, progress=False)
    assert not report.failed
    return out


def test_annotations_do_not_depend_on_worker_count(built: BuildReport,
                                                   one_worker_build: Path) -> None:
    ours = (one_worker_build / "annotations.json").read_bytes()
    assert ours == (built.dataset / "annotations.json").read_bytes()


def test_rerun_skips_every_committed_scene(n_scenes: int, scene_root: Path,
                                          one_worker_build: Path) -> None:
    before = (one_worker_build / "annotations.json").read_bytes()
    report = build_dataset([scene_root], one_worker_build, TilingConfig(), workers=1,
                           progress=False)
    assert len(report.skipped) == n_scenes and not report.built
    assert (one_worker_build / "annotations.json").read_bytes() == before


def test_parameter_change_is_refused_unless_overwrite(scene_root: Path, built: BuildReport,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    shutil.copytree(built.dataset, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(ParameterMismatchError, match=r"tiling.tile_size: 512 -> 256"):
        build_dataset([scene_root], out, TilingConfig(tile_size=256), workers=1,
                      progress=False)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    scenes = discover_scenes([scene_root])[:2]
    report = build_dataset(scenes, out, TilingConfig(tile_size=256), workers=1,
                           overwrite=True, progress=False)
    assert len(report.built) == 2
    document = json.loads((out / "annotations.json").read_text())
    assert {im["width"] for im in document["images"]} == {256}
    assert len(list((out / PARTS_DIR).iterdir())) == 2


def test_resume_redoes_only_uncommitted_scenes_and_clears_leftovers(
    n_scenes: int, scene_root: Path, built: BuildReport, tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    shutil.copytree(built.dataset, out)
    victim = sorted((out / PARTS_DIR).iterdir())[2]
    victim.unlink()  # as if killed after moving the scene's tiles in, before committing
    (out / PARTS_DIR / f".{victim.name}.tmp-0123").write_text("{half")
    (out / STAGING_DIR / "deadbeef" / victim.stem).mkdir(parents=True)
    (out / STAGING_DIR / "deadbeef" / victim.stem / "x.tif").write_bytes(b"partial")
    (out / TILES_DIR / f"{victim.stem}_9_1_1.tif").write_bytes(b"orphan")
    (out / "annotations.json").unlink()
    report = build_dataset([scene_root], out, TilingConfig(), workers=1, progress=False)
    assert [o.scene_id for o in report.built] == [victim.stem]
    assert len(report.skipped) == n_scenes - 1
    assert (out / "annotations.json").read_bytes() == (
        built.dataset / "annotations.json").read_bytes()
    assert not (out / TILES_DIR / f"{victim.stem}_9_1_1.tif").exists()
    assert sorted(p.name for p in (out / PARTS_DIR).iterdir()) == sorted(
        p.name for p in (built.dataset / PARTS_DIR).iterdir())
    assert not any((out / STAGING_DIR).iterdir())


def test_failing_scene_is_reported_and_the_build_goes_on(scene_root: Path,
                                                         tmp_path: Path) -> None:
    good = discover_scenes([scene_root])[:2]
    root = tmp_path / "scenes"
    for scene in good:
        shutil.copytree(scene, root / scene.parent.name / scene.name)
    broken = (root / "natural_seep"
              / "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5")
    shutil.copytree(good[0], broken)
    (broken / "Background.png").write_bytes(b"\x89PNG truncated")
    out = tmp_path / "dataset"
    report = build_dataset([root], out, TilingConfig(), workers=2, progress=False)
    assert len(report.built) == 2
    assert [o.scene_id for o in report.failed] == [broken.name]
    assert "Background.png" in report.failed[0].error
    manifest = Manifest.load(out)
    assert manifest.scenes[broken.name].status == "failed"
    assert manifest.scenes[broken.name].error == report.failed[0].error
    # No finished-looking dataset: the built scenes wait in parts/ for the rerun.
    assert not (out / "annotations.json").exists()
    assert len(list((out / PARTS_DIR).iterdir())) == 2
    problems = [str(p) for p in validate_dataset(out)]
    assert any(broken.name in p and "failed" in p for p in problems), problems

    shutil.copy(good[0] / "Background.png", broken / "Background.png")
    report = build_dataset([root], out, TilingConfig(), workers=1, progress=False)
    assert [o.scene_id for o in report.built] == [broken.name]
    assert not report.failed and len(report.skipped) == 2
    images = json.loads((out / "annotations.json").read_text())["images"]
    assert broken.name in {im["scene_id"] for im in images}
    assert validate_dataset(out) == []


def test_a_build_whose_only_scene_fails_leaves_no_dataset(scene_root: Path,
                                                          tmp_path: Path) -> None:
    scene = discover_scenes([scene_root])[0]
    broken = tmp_path / "scenes" / scene.parent.name / scene.name
    shutil.copytree(scene, broken)
    (broken / "Background.png").write_bytes(b"\x89PNG truncated")
    out = tmp_path / "dataset"
    report = build_dataset([broken], out, TilingConfig(), workers=1, progress=False)
    assert [o.scene_id for o in report.failed] == [scene.name] and not report.built
    assert not out.exists(), "the folder the build made holds nothing to resume"

    out.mkdir()  # the user's own (empty) folder stays, and says what failed
    build_dataset([broken], out, TilingConfig(), workers=1, progress=False)
    assert not (out / "annotations.json").exists()
    assert Manifest.load(out).scenes[scene.name].status == "failed"
    problems = [str(p) for p in validate_dataset(out)]
    assert any(scene.name in p and "failed" in p for p in problems), problems


def test_sigkilled_build_resumes_to_the_uninterrupted_result(
    n_scenes: int, scene_root: Path, built: BuildReport, tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    command = [sys.executable, "-m", "cerulean_coco", "build", str(scene_root), "-o", str(out),
               "--workers", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parts = out / PARTS_DIR
    deadline = time.monotonic() + 120
    while not (parts.is_dir() and any(p.suffix == ".json" for p in parts.iterdir())):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no scene was committed within 2 minutes"
        time.sleep(0.005)
    children = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    _, alive = psutil.wait_procs(children, timeout=20)
    for child in alive:  # the cluster's processes die with their parent; make sure of it
        child.kill()
    committed = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
                 for p in parts.iterdir() if p.suffix == ".json"}
    assert 0 < len(committed) < n_scenes, "the kill must land mid-build"
    assert not (out / "annotations.json").exists()

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    already = int(resumed.stdout.split(" already built")[0].rsplit(" ", 1)[-1])
    assert already >= len(committed)
    for name, identity in committed.items():
        stat = (parts / name).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == identity, f"{name} was redone"
    assert (out / "annotations.json").read_bytes() == (
        built.dataset / "annotations.json").read_bytes()
    assert sorted(p.name for p in (out / TILES_DIR).iterdir()) == sorted(
        p.name for p in (built.dataset / TILES_DIR).iterdir())
