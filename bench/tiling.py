"""Benchmark: one full-size annotated scene → tiles + masks, on one core.

Writes a synthetic full-size scene (Background 6458×4181, 10 RGBA layers, 210 GCPs),
then, each in a fresh child process pinned to one core:

1. the baseline: decoding every PNG of the scene to arrays (the floor for any tiler),
   with Pillow (whole image, then a NumPy array) and with GDAL in strips (what the
   tiler uses); the ratio is taken against the faster of the two;
2. the job: ``tile_scene`` writing tiles (+ instance masks) to disk.

Prints wall seconds and peak RSS of each, and the ratio job / decode. Targets:
ratio <= 1.5, peak RSS <= 0.8 GB. Usage: ``python bench/tiling.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path


def _peak_rss_kb() -> int:
    """Peak resident memory of this process, in kB (VmHWM).

    Not ru_maxrss: Linux keeps it across exec, so a child spawned from a large parent
    would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _pin() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _decode(scene: str, decoder: str, queue: mp.Queue) -> None:
    _pin()
    import numpy as np

    from cerulean_tiling import open_scene, png_strips, read_png

    folder = open_scene(Path(scene))
    start = time.perf_counter()
    for png in (folder.background, *folder.layers):
        if decoder == "pillow":
            pixels = np.asarray(read_png(png))
            del pixels
        else:
            for _, strip in png_strips(png):
                del strip
    queue.put((time.perf_counter() - start, _peak_rss_kb()))


def _tile(scene: str, warm: str, out: str, queue: mp.Queue) -> None:
    _pin()
    from cerulean_tiling import TilingConfig, tile_scene

    tile_scene(Path(warm), TilingConfig())  # numba kernels compiled/loaded outside the timing
    start = time.perf_counter()
    result = tile_scene(Path(scene), TilingConfig(), Path(out), instance_masks=True)
    elapsed = time.perf_counter() - start
    pieces = sum(len(t.instances) for t in result.tiles)
    queue.put((elapsed, _peak_rss_kb(), len(result.tiles),
               pieces))


def _child(target, *args):  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; best is reported")
    parser.add_argument("--keep", type=Path, help="write the scene here and keep it")
    args = parser.parse_args()

    from cerulean_tiling import parse_size, write_scenes

    full_size = parse_size("full")

    work = Path(tempfile.mkdtemp(prefix="bench-tiling-"))
    root = args.keep or work / "scenes"
    try:
        t0 = time.perf_counter()
        scene = write_scenes(root, n=1, seed=2026, size=full_size, layers=10, palette_every=0)[0]
        warm = write_scenes(work / "warm", n=1, seed=1, size=(512, 400), layers=3)[0]
        print(f"scene: {scene.path.name}  ({full_size[0]}x{full_size[1]}, "
              f"{len(scene.instances)} RGBA layers, written in {time.perf_counter() - t0:.1f} s)")
        decode: dict[str, list] = {"pillow": [], "gdal": []}
        tile = []
        for i in range(args.repeat):
            for decoder, runs in decode.items():
                runs.append(_child(_decode, str(scene.path), decoder))
            out = work / f"out{i}"
            out.mkdir()
            tile.append(_child(_tile, str(scene.path), str(warm.path), str(out)))
        best = {}
        for decoder, runs in decode.items():
            best[decoder] = min(r[0] for r in runs)
            print(f"decode PNGs only ({decoder:>6}): {best[decoder]:6.2f} s   "
                  f"peak RSS {max(r[1] for r in runs) / 1e6:.2f} GB")
        t_time, t_rss = min(t[0] for t in tile), max(t[1] for t in tile)
        n_tiles, n_pieces = tile[0][2], tile[0][3]
        print(f"tile scene              : {t_time:6.2f} s   peak RSS {t_rss / 1e6:.2f} GB   "
              f"({n_tiles} tiles, {n_pieces} instance pieces)")
        baseline = min(best.values())
        print(f"ratio tile / fastest decode: {t_time / baseline:5.2f}   "
              "(target <= 1.5; peak RSS target <= 0.8 GB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
