from __future__ import annotations

import os
from pathlib import Path

from distributed import LocalCluster

from cerulean_coco.building.build import BuildReport, build_dataset
from cerulean_coco.building.cluster import WORKER_ENV, open_client
from cerulean_coco.describe.validate import validate_dataset
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.scenes.folder import discover_scenes


def test_local_cluster_workers_are_single_threaded_processes() -> None:
    with open_client(workers=2) as client:
        info = client.scheduler_info()["workers"]
        assert len(info) == 2
        assert {w["nthreads"] for w in info.values()} == {1}
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids
        # os.getenv, not a function of this module: workers cannot import test modules
        # (pytest imports them under --import-mode=importlib names).
        for name, value in WORKER_ENV.items():
            assert set(client.run(os.getenv, name).values()) == {value}


def test_build_on_an_existing_scheduler(scene_root: Path, built: BuildReport,
                                        tmp_path: Path) -> None:
    scenes = discover_scenes([scene_root])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        report = build_dataset(scenes, tmp_path / "ds", TilingConfig(),
                               scheduler=cluster.scheduler_address, progress=False)
        assert len(cluster.scheduler.workers) == 1  # still up: the build only connected
    assert len(report.built) == len(scenes) and not report.failed
    assert (tmp_path / "ds" / "annotations.json").read_bytes() == (
        built.dataset / "annotations.json").read_bytes()
    assert validate_dataset(tmp_path / "ds") == []
