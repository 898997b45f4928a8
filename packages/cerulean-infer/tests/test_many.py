"""Many scenes on a real dask LocalCluster: one GeoJSON per scene, resumable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cerulean_infer.cli import main
from cerulean_tiling import SyntheticScene


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
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary["scenes"]] == ["failed", "done"]
    assert not (out / "junk.geojson").exists()
