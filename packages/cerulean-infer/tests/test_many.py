"""Many scenes on a real dask LocalCluster: one GeoJSON per scene, resumable, and
reruns that never present stale or damaged results as done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from infer_doubles import TEST_TILE, clean_scene, manifest, write_bundle

from cerulean_infer.cli import main
from cerulean_tiling import SyntheticScene
from tests.support.models import DarkIsOil


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster started outside the command, reached by its address (--scheduler)."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_predict_many_resumes(dark_bundle: Path, small_scenes: list[SyntheticScene],
                              scheduler: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "predictions"
    scenes = [str(s.path) for s in small_scenes]
    args = ["predict-many", *scenes, "--bundle", str(dark_bundle), "-o", str(out),
            "--scheduler", scheduler, "--no-progress", "--backend", "torch"]
    assert main(args) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary["scenes"]] == ["done", "done"]
    for scene in small_scenes:
        doc = json.loads((out / f"{scene.path.name}.geojson").read_text())
        assert doc["features"]
        assert (out / f"{scene.path.name}.settings.json").is_file()
    first = out / f"{small_scenes[0].path.name}.geojson"
    first.unlink()
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary["scenes"]] == ["done", "skipped"]
    assert first.is_file()
    assert "1 done, 1 skipped" in capsys.readouterr().out


def test_model_loads_once_per_worker(dark_bundle: Path, scheduler: str) -> None:
    from dask.distributed import Client

    from cerulean_infer.many import ManyOptions, open_predictor

    options = ManyOptions(bundle=str(dark_bundle), backend="torch")

    def _runner_id(options: ManyOptions) -> int:
        # Local, so it travels by value: workers cannot import a test module that
        # pytest loaded in importlib mode.
        from cerulean_infer.many import open_predictor

        return id(open_predictor(options).runner)

    with Client(scheduler) as client:
        first, second = client.gather([client.submit(_runner_id, options, pure=False)
                                       for _ in range(2)])
    assert first == second
    assert open_predictor(options).runner is open_predictor(options).runner


def test_predict_many_reports_failures(dark_bundle: Path, small_scenes: list[SyntheticScene],
                                       tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"junk")
    out = tmp_path / "predictions"
    code = main(["predict-many", str(junk), str(small_scenes[0].path), "--bundle",
                 str(dark_bundle), "-o", str(out), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("Error: ") and "junk.tif" in err
    # No dask scheduler or nanny chatter: the error is the only line.
    assert len(err.strip().splitlines()) == 1, err
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary["scenes"]] == ["failed", "done"]
    assert not (out / "junk.geojson").exists()


def _many(scenes: list[SyntheticScene], bundle: Path, out: Path, scheduler: str,
          *extra: str) -> list[str]:
    return ["predict-many", *[str(s.path) for s in scenes], "--bundle", str(bundle),
            "-o", str(out), "--scheduler", scheduler, "--no-progress", "--backend", "torch",
            *extra]


def _statuses(out: Path) -> list[str]:
    return [s["status"] for s in json.loads((out / "summary.json").read_text())["scenes"]]


def _contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("change", ["threshold", "merge", "model"])
def test_rerun_with_other_settings_is_refused_then_overwritten(
        change: str, dark_bundle: Path, small_scenes: list[SyntheticScene], scheduler: str,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "predictions"
    assert main(_many(small_scenes, dark_bundle, out, scheduler)) == 0
    before = _contents(out)
    capsys.readouterr()
    bundle, extra, key = dark_bundle, [], ""
    if change == "threshold":
        extra, key = ["--threshold", "poly_score_thresh=0.9"], "preset.poly_score_thresh"
    elif change == "merge":
        extra, key = ["--merge", "serving"], "merge: 'ours' -> 'serving'"
    else:
        darker = DarkIsOil()
        with torch.no_grad():
            darker.conv.bias.fill_(10.0)
        bundle = write_bundle(tmp_path / "darker.bundle", darker,
                              torch.rand(1, 1, TEST_TILE, TEST_TILE), manifest("darker"))
        key = "model: 'dark' -> 'darker'"
    args = _many(small_scenes, bundle, out, scheduler, *extra)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"Error: {out}: "), err
    assert key in err and "--overwrite" in err
    assert _contents(out) == before
    assert main([*args, "--overwrite"]) == 0, capsys.readouterr().err
    assert _statuses(out) == ["done", "done"]
    recorded = json.loads((out / "predict-many.json").read_text())["settings"]
    for scene in small_scenes:
        settings = json.loads((out / f"{scene.path.name}.settings.json").read_text())
        assert settings["run"] == recorded
    assert recorded["model"] == ("darker" if change == "model" else "dark")
    assert recorded["merge"] == ("serving" if change == "merge" else "ours")


@pytest.mark.parametrize("damage", ["truncated", "edited", "settings lost"])
def test_damaged_outputs_are_predicted_again(
        damage: str, dark_bundle: Path, small_scenes: list[SyntheticScene], scheduler: str,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "predictions"
    args = _many(small_scenes, dark_bundle, out, scheduler)
    assert main(args) == 0
    target = out / f"{small_scenes[1].path.name}.geojson"
    whole = target.read_bytes()
    if damage == "truncated":
        target.write_bytes(whole[: len(whole) // 2])
    elif damage == "edited":
        target.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    else:
        (out / f"{small_scenes[1].path.name}.settings.json").unlink()
    capsys.readouterr()
    assert main(args) == 0
    assert "1 done, 1 skipped" in capsys.readouterr().out
    assert _statuses(out) == ["skipped", "done"]
    assert target.read_bytes() == whole
    note = json.loads((out / "summary.json").read_text())["scenes"][1]["note"]
    assert note and ("SHA-256" in note or "settings.json" in note)


def test_outputs_no_run_recorded_are_refused(
        dark_bundle: Path, small_scenes: list[SyntheticScene], scheduler: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """GeoJSONs made by ``predict`` (or by hand) in the folder are not taken as done."""
    out = tmp_path / "predictions"
    out.mkdir()
    stray = out / f"{small_scenes[0].path.name}.geojson"
    assert main(["predict", str(small_scenes[1].path), "--bundle", str(dark_bundle),
                 "-o", str(stray), "--no-progress"]) == 0
    capsys.readouterr()
    args = _many(small_scenes, dark_bundle, out, scheduler)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(stray) in err and "--overwrite" in err
    assert main([*args, "--overwrite"]) == 0
    assert _statuses(out) == ["done", "done"]
    assert json.loads(stray.read_text())["features"][0]["properties"]["scene_id"] \
        == small_scenes[0].scene_id


def test_killed_run_resumes_to_the_same_bytes(
        dark_bundle: Path, small_scenes: list[SyntheticScene], scheduler: str,
        tmp_path: Path) -> None:
    """kill -9 of the whole command (its LocalCluster too) after its first scene, then
    a rerun: the GeoJSONs are byte-identical to those of an uninterrupted run."""
    scenes = [*small_scenes, clean_scene(tmp_path / "third", 7, size=(512, 384))]
    reference = tmp_path / "reference"
    assert main(_many(scenes, dark_bundle, reference, scheduler)) == 0
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "cerulean_infer", "predict-many",
               *[str(s.path) for s in scenes], "--bundle", str(dark_bundle), "-o", str(out),
               "--workers", "1", "--no-progress", "--backend", "torch"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    first = out / f"{scenes[0].path.name}.settings.json"
    try:
        while not first.exists() and process.poll() is None:
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert first.exists(), process.stderr.read() if process.stderr else ""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "0 skipped" not in done.stdout and "0 done" not in done.stdout, done.stdout
    for scene in scenes:
        name = f"{scene.path.name}.geojson"
        assert (out / name).read_bytes() == (reference / name).read_bytes()
