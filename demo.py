"""The end-to-end demo on built-in synthetic scenes (run it with ``./dev demo``).

Each step is one of the project's real commands, printed before it runs, so the demo
doubles as a walkthrough. Outputs go to ``demo-output/`` (override with ``--out``).
Rerunning resumes: finished steps redo nothing.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path


def step(title: str, *command: str | Path) -> None:
    args = [str(c) for c in command]
    print(f"\n== {title}\n$ {shlex.join(args)}", flush=True)
    start = time.perf_counter()
    result = subprocess.run(args)
    if result.returncode != 0:
        sys.exit(f"demo step failed ({title}), exit status {result.returncode}")
    print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--scenes", type=int, default=6)
    parser.add_argument("--size", default="1600x1200")
    args = parser.parse_args()
    out: Path = args.out
    scenes = out / "scenes"
    tiles = out / "tiles"

    if not (scenes / "synthetic.json").exists():
        step("Synthetic annotated scenes (Background.png + Photopea layers + GCPs)",
             "cerulean-tiling", "synth", scenes, "--scenes", str(args.scenes), "--seed", "0",
             "--size", args.size, "--overwrite")
    step("Inspect a scene: georeference quality and layers",
         "cerulean-tiling", "info", *sorted(scenes.glob("*/S1*"))[:1])
    step("Tile every scene on the serving grid, with auxiliary channels",
         "cerulean-tiling", "tile", scenes, "-o", tiles, "--no-progress",
         "--aux", f"infra_distance={scenes / 'infrastructure.geojson'}",
         "--aux", f"vessel_density={scenes / 'vessel_density.tif'}", "--class-rasters")
    dataset = out / "dataset"
    aux = ["--aux", f"infra_distance={scenes / 'infrastructure.geojson'}",
           "--aux", f"vessel_density={scenes / 'vessel_density.tif'}"]
    step("Build a COCO dataset on a 2-worker dask cluster (resumable)",
         "cerulean-coco", "build", scenes, "-o", dataset, *aux, "--workers", "2",
         "--no-progress")
    step("Validate it", "cerulean-coco", "validate", dataset)
    step("Describe it", "cerulean-coco", "stats", dataset, "--csv", out / "instances.csv",
         "--plot", out / "instances.png", "--no-progress")
    if not (out / "split" / "split.json").exists():
        step("Split scenes into train/val/test, stratified by class folder",
             "cerulean-coco", "split", scenes, "--val", "0.5", "--test", "0.0", "--seed", "0",
             "-o", out / "split")
    if not (out / "dataset-cloud4" / "annotations.json").exists():
        step("Serving classes (cloud4 preset) plus 2 negative tiles",
             "cerulean-coco", "filter", dataset, "-o", out / "dataset-cloud4", "--preset",
             "cloud4", "--negatives", "2", "--seed", "0")
    n_tiles = len([p for p in tiles.glob("S1*.tif") if not p.stem.endswith(("_classes",
                                                                           "_masks"))])
    print(f"\nDemo done: {n_tiles} tiles in {tiles}, COCO datasets in {dataset} and "
          f"{out / 'dataset-cloud4'}, statistics in {out / 'instances.png'}")


if __name__ == "__main__":
    main()
