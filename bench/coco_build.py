"""Benchmark: synthetic scenes through ``cerulean-coco build`` on 1 and 2 workers.

Writes N synthetic scenes (default 8 at full size, 6458×4181), then measures, in one run:

1. the baseline: ``tile_scene`` writing tiles for every scene, one after the other, in a
   fresh child process whose numba kernels were loaded before the clock starts;
2. ``build`` on a LocalCluster of 1 worker, into a fresh dataset folder;
3. ``build`` on a LocalCluster of 2 workers, into another fresh folder.

It also runs the baseline split over 2 plain processes (no dask): the machine's own
scaling ceiling for this work, against which the cluster's scaling can be judged.

Prints scenes per minute for each build, the scaling ratio (1-worker wall / 2-worker
wall; target >= 1.7 on 2 cores) and build time per scene relative to tiling alone
(1-worker build wall / baseline wall; target <= 1.2). Build walls include starting the
cluster and assembling annotations.json, so they are what a user waits for.

Usage: ``python bench/coco_build.py [--scenes N] [--size WxH|full] [--keep DIR]``
(with ``--keep``, scenes already written there are reused).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import tempfile
import time
from pathlib import Path


def _tile_all(scenes: list[str], warm: str, out: str, barrier: object,
              queue: mp.Queue) -> None:
    from cerulean_tiling import TilingConfig, tile_scene

    tile_scene(Path(warm), TilingConfig())  # load numba kernels outside the timing
    barrier.wait()  # type: ignore[attr-defined]
    start = time.perf_counter()
    tiles = 0
    for index, scene in enumerate(scenes):
        target = Path(out) / str(index)
        target.mkdir(parents=True)
        tiles += len(tile_scene(Path(scene), TilingConfig(), target).tiles)
    queue.put((time.perf_counter() - start, tiles))


def _baseline(scenes: list[Path], warm: Path, out: Path, processes: int = 1
              ) -> tuple[float, int]:
    """Tile ``scenes`` split over ``processes`` child processes; (wall seconds, tiles)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    barrier = ctx.Barrier(processes)
    procs = [
        ctx.Process(target=_tile_all, args=([str(s) for s in scenes[i::processes]],
                                            str(warm), str(out / str(i)), barrier, queue))
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    return max(r[0] for r in results), sum(r[1] for r in results)


def _build(scenes: list[Path], out: Path, workers: int) -> tuple[float, float, int]:
    from cerulean_coco import build_dataset
    from cerulean_tiling import TilingConfig

    start = time.perf_counter()
    report = build_dataset(scenes, out, TilingConfig(), workers=workers, progress=False)
    wall = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"build failed: {report.failed[0].error}")
    worker_seconds = sum(o.seconds for o in report.built)
    return wall, worker_seconds, report.annotations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=8, help="number of scenes [8]")
    parser.add_argument("--size", default="full", help="scene size WxH or 'full' [full]")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="write scenes and datasets here and keep them")
    args = parser.parse_args()

    from cerulean_tiling import discover_scenes, parse_size, write_scenes

    size = parse_size(args.size)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-coco-"))
    try:
        start = time.perf_counter()
        if not (work / "scenes").is_dir():
            write_scenes(work / "scenes", n=args.scenes, seed=args.seed, size=size)
            write_scenes(work / "warm", n=1, seed=args.seed + 1, size=(512, 384))
        for stale in [*work.glob("build-*"), *work.glob("tiles-alone*")]:
            shutil.rmtree(stale)
        scenes = discover_scenes([work / "scenes"])
        warm = discover_scenes([work / "warm"])[0]
        print(f"{len(scenes)} scenes of {size[0]}x{size[1]} ready in "
              f"{time.perf_counter() - start:.1f} s")

        base, tiles = _baseline(scenes, warm, work / "tiles-alone")
        print(f"tiling alone:      {base:7.1f} s  {tiles} tiles  "
              f"{base / len(scenes):6.2f} s/scene")
        base2, _ = _baseline(scenes, warm, work / "tiles-alone-2", processes=2)
        print(f"tiling alone, 2 plain processes: {base2:7.1f} s  "
              f"(machine ceiling {base / base2:.2f}x)")
        walls = {}
        for workers in (1, 2):
            wall, busy, annotations = _build(scenes, work / f"build-{workers}w", workers)
            walls[workers] = wall
            print(f"build, {workers} worker(s): {wall:7.1f} s  {annotations} annotations  "
                  f"{60 * len(scenes) / wall:6.2f} scenes/min  "
                  f"(workers busy {busy / len(scenes):.2f} s/scene)")
        same = ((work / "build-1w" / "annotations.json").read_bytes()
                == (work / "build-2w" / "annotations.json").read_bytes())
        print(f"scaling 1 -> 2 workers:           {walls[1] / walls[2]:.2f}x  (target >= 1.7)")
        print(f"build / tiling alone, per scene:  {walls[1] / base:.2f}x  (target <= 1.2)")
        print(f"annotations.json identical for 1 and 2 workers: {same}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
