"""The end-to-end demo on built-in synthetic scenes (run it with ``./dev demo``).

From nothing to trained models, scores and slick polygons, with the project's own
commands: synthetic annotated scenes → scene split → COCO datasets → a small UNet and a
small Mask R-CNN trained on CPU → model bundles → evaluation through the served
post-processing (measured serving rows, model cards, reports) → whole-scene inference on a
held-out scene → GeoJSON, overlay PNG and HTML report → the promotion gate (this run's UNet
against the Mask R-CNN, or ``--baseline`` an earlier run's evaluation, on the same scenes).

Each step prints its command before it runs and a one-line result after, so the demo
doubles as a walkthrough. Outputs go to ``demo-output/`` (``--out``). A rerun reuses
every finished step (each command is itself resumable or its output is complete or
absent); ``--fresh`` starts over. ``--quick`` shrinks everything for the test suite.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent
CONFIGS = REPO / "packages" / "cerulean-train" / "configs"


@dataclass(frozen=True)
class Sizes:
    """How big the demo is: the full demo, or the test suite's quick run."""

    scenes: int
    size: str
    unet_config: str
    maskrcnn_config: str
    extra_unet: tuple[str, ...] = ()
    extra_maskrcnn: tuple[str, ...] = ()


FULL = Sizes(scenes=15, size="1600x1200", unet_config="unet-demo.yaml",
             maskrcnn_config="maskrcnn-demo.yaml")
QUICK = Sizes(scenes=9, size="640x480", unet_config="unet-demo.yaml",
              maskrcnn_config="maskrcnn-demo.yaml", extra_unet=("--epochs", "1"),
              extra_maskrcnn=("--epochs", "1"))


class Demo:
    """Runs the steps, skipping those whose output is already complete."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.log: list[dict[str, Any]] = []

    def step(self, title: str, command: list[str | Path], done: Path,
             result: Callable[[], str], verdicts: tuple[int, ...] = ()) -> None:
        """Run ``command`` unless ``done`` exists, then print ``result()`` on one line.

        ``verdicts``: exit statuses besides 0 that are the command's answer, not a failure
        (the promotion gate exits 3 when the candidate does not pass).
        """
        args = [str(c) for c in command]
        print(f"\n== {title}\n$ {shlex.join(args)}", flush=True)
        start = time.perf_counter()
        if done.exists():
            status = "reused"
        else:
            completed = subprocess.run(args, cwd=REPO)
            if completed.returncode != 0 and completed.returncode not in verdicts:
                sys.exit(f"demo step failed ({title}): exit status {completed.returncode}")
            status = "ran"
        seconds = time.perf_counter() - start
        line = result()
        print(f"   → {line} ({status}, {seconds:.1f} s)", flush=True)
        self.log.append({"step": title, "status": status, "seconds": round(seconds, 1),
                         "result": line})


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _rel(path: Path) -> str:
    return str(path.resolve().relative_to(REPO)) if path.resolve().is_relative_to(REPO) \
        else str(path)


def _count_images(dataset: Path) -> str:
    doc = _json(dataset / "annotations.json")
    return f"{len(doc['images'])} tiles, {len(doc['annotations'])} instances"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "demo-output",
                        help="Output folder (default demo-output/).")
    parser.add_argument("--fresh", action="store_true", help="Delete --out first.")
    parser.add_argument("--quick", action="store_true",
                        help="Tiny scenes and one epoch (what the tests run).")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="An earlier run's evaluation folder (e.g. a kept "
                             "demo-output/eval/unet) to gate this run's UNet against, "
                             "instead of the Mask R-CNN; same dataset and scenes.")
    args = parser.parse_args(argv)
    out: Path = args.out.absolute()
    sizes = QUICK if args.quick else FULL
    if args.fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    demo = Demo(out)
    bin_dir = Path(sys.executable).parent

    def tool(name: str) -> str:
        exe = bin_dir / name
        return str(exe) if exe.exists() else name

    scenes = out / "scenes"
    aux = ["--aux", f"infra_distance={scenes / 'infrastructure.geojson'}",
           "--aux", f"vessel_density={scenes / 'vessel_density.tif'}"]

    demo.step("Synthetic annotated scenes (Background.png + Photopea layers + GCPs)",
              [tool("cerulean-tiling"), "synth", scenes, "--scenes", str(sizes.scenes),
               "--seed", "0", "--size", sizes.size, "--overwrite"],
              scenes / "synthetic.json",
              lambda: f"{len(_json(scenes / 'synthetic.json')['scenes'])} scenes")

    split = out / "split"
    demo.step("Split scenes into train/val/test by scene, stratified by class folder",
              [tool("cerulean-coco"), "split", scenes, "--val", "0.2", "--test", "0.2",
               "--seed", "0", "-o", split],
              split / "split.json",
              lambda: ", ".join(f"{k} {v}" for k, v in _json(split / "split.json")
                                ["counts"].items()))

    datasets = {}
    for name in ("train", "val"):
        dataset = out / "datasets" / name
        datasets[name] = dataset
        demo.step(f"COCO dataset '{name}' on a 2-worker dask cluster (VV + aux channels)",
                  [tool("cerulean-coco"), "build", split / f"{name}.txt", "-o", dataset,
                   *aux, "--workers", "2", "--no-progress"],
                  dataset / "annotations.json",
                  lambda dataset=dataset: _count_images(dataset))  # type: ignore[misc]

    runs = out / "runs"
    bundles = out / "bundles"
    unet_run, mrcnn_run = runs / "unet", runs / "maskrcnn"
    demo.step("Train a small UNet on CPU (VV only, cloud4 classes)",
              [tool("cerulean-train"), "unet", "--config", CONFIGS / sizes.unet_config,
               "--train", datasets["train"], "--val", datasets["val"], "-o", unet_run,
               "--device", "cpu", "--seed", "0", "--no-progress", *sizes.extra_unet],
              unet_run / "run.json",
              lambda: _metrics_line(_json(unet_run / "run.json")))
    demo.step("Train a small Mask R-CNN on CPU (VV + infra distance + vessel density)",
              [tool("cerulean-train"), "maskrcnn", "--config",
               CONFIGS / sizes.maskrcnn_config, "--train", datasets["train"], "--val",
               datasets["val"], "-o", mrcnn_run, "--device", "cpu", "--seed", "0",
               "--no-progress", *sizes.extra_maskrcnn],
              mrcnn_run / "run.json",
              lambda: _metrics_line(_json(mrcnn_run / "run.json")))

    unet_bundle, mrcnn_bundle = bundles / "unet-demo.bundle", bundles / "maskrcnn-demo.bundle"
    demo.step("Export the UNet bundle (traced TorchScript, ONNX, serving model row)",
              [tool("cerulean-train"), "export", unet_run, "-o", unet_bundle],
              unet_bundle / "bundle.json",
              lambda: _bundle_line(unet_bundle))
    # Scripting for the serving runtime (torch 2.0.1) needs a 4 GB venv the first time;
    # the demo scripts in the workspace's torch and says so in bundle.json.
    demo.step("Export the Mask R-CNN bundle (scripted in the workspace runtime)",
              [tool("cerulean-train"), "export", mrcnn_run, "-o", mrcnn_bundle,
               "--runtime", "workspace"],
              mrcnn_bundle / "bundle.json",
              lambda: _bundle_line(mrcnn_bundle))

    evals = out / "eval"
    for name, bundle in (("unet", unet_bundle), ("maskrcnn", mrcnn_bundle)):
        target = evals / name
        demo.step(f"Evaluate the {name} bundle on the validation scenes (its served slicks)",
                  [tool("cerulean-eval"), "run", "--bundle", bundle, "--coco",
                   datasets["val"], "-o", target, "--device", "cpu"],
                  target / "metrics.json",
                  lambda target=target: _eval_line(_json(target / "metrics.json")))  # type: ignore[misc]

    heldout_scene = Path(split.joinpath("test.txt").read_text().split()[0])
    if not heldout_scene.is_absolute():
        heldout_scene = (split / heldout_scene).resolve()
    heldout_dataset = out / "datasets" / "heldout"
    demo.step("COCO dataset of the held-out scene alone (its annotations are the truth)",
              [tool("cerulean-coco"), "build", heldout_scene, "-o", heldout_dataset, *aux,
               "--workers", "1", "--no-progress"],
              heldout_dataset / "annotations.json",
              lambda: _count_images(heldout_dataset))
    predictions = out / "heldout"
    geojson = predictions / f"{heldout_scene.name}.geojson"
    overlay = predictions / f"{heldout_scene.name}.png"
    predictions.mkdir(exist_ok=True)
    demo.step("Whole-scene inference on the held-out scene (three offset tilesets)",
              [tool("cerulean-infer"), "predict", heldout_scene, "--bundle", unet_bundle,
               "-o", geojson, "--overlay", overlay, "--device", "cpu", "--no-progress"],
              geojson,
              lambda: f"{len(_json(geojson)['features'])} slick polygons")
    heldout_eval = evals / "heldout"
    demo.step("Score the held-out scene's polygons against its annotations (map coordinates)",
              [tool("cerulean-eval"), "score", "--coco", heldout_dataset, "--predictions",
               geojson, "-o", heldout_eval, "--allow-empty", "--preset", "cloud4"],
              heldout_eval / "metrics.json",
              lambda: _slick_line(_json(heldout_eval / "metrics.json")))

    from cerulean_eval.gate import GATE_FAILED

    # The promotion gate: this run's UNet against a baseline scored on the same scenes (the
    # Mask R-CNN, or --baseline: an earlier run's evaluation folder), from the two
    # evaluation folders, so no model runs again. Its exit status 3 is its verdict.
    baseline = args.baseline.absolute() if args.baseline else evals / "maskrcnn"
    gate = out / "gate" / f"unet-vs-{'baseline' if args.baseline else 'maskrcnn'}"
    demo.step("Promotion gate: the UNet against the baseline, paired bootstrap over scenes",
              [tool("cerulean-eval"), "gate", _rel(evals / "unet"), _rel(baseline), "-o", gate],
              gate / "gate.json", lambda: _json(gate / "gate.json")["line"],
              verdicts=(GATE_FAILED,))

    summary = _summary(out, time.perf_counter() - started, evals, heldout_scene.name,
                       geojson, overlay, gate)
    from cerulean_tiling.atomic import write_json

    write_json(out / "summary.json", summary, indent=2)
    _print_summary(summary, demo.log, _rel(out / "summary.json"))


def _metrics_line(final: dict[str, Any]) -> str:
    metrics = final.get("metrics", final)
    shown = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    trained = ", ".join(f"{k} {v:.3f}" for k, v in list(shown.items())[:4])
    return f"trainer's validation: {trained}" if trained else "trained"


def _bundle_line(bundle: Path) -> str:
    manifest = _json(bundle / "bundle.json")
    files = sorted(p.name for p in bundle.iterdir())
    return (f"{manifest['arch']} {manifest['backbone']}, classes {manifest['classes']}, "
            f"files {', '.join(files)}")


def _eval_line(metrics: dict[str, Any]) -> str:
    summary, intervals = metrics["summary"], metrics.get("intervals") or {}
    parts = [f"{key} {summary[key]:.3f}" + (f" [{intervals[key][0]:.2f}–{intervals[key][1]:.2f}]"
                                            if key in intervals else "")
             for key in ("pixel_f1", "instance_f1")]
    return (f"{', '.join(parts)}; {_slick_line(metrics)} ({summary['slicks_predicted']} "
            "served)")


def _slick_line(metrics: dict[str, Any]) -> str:
    summary = metrics["summary"]
    return (f"{summary['slicks_found']} of {summary['slicks_true']} slicks found, "
            f"{summary['slicks_false']} false")


def _served(folder: Path) -> dict[str, Any]:
    """An evaluation's headline numbers, intervals and measured serving row."""
    metrics = _json(folder / "metrics.json")
    summary = metrics["summary"]
    row = _json(folder / "cerulean-cloud-model.json")
    keys = ("pixel_f1", "instance_f1", "pixel_f1_per_class", "slicks_true", "slicks_predicted",
            "slicks_found", "slicks_false")
    return {**{k: summary[k] for k in keys},
            "intervals": {k: v for k, v in (metrics.get("intervals") or {}).items()
                          if isinstance(v, list)},
            "row": {"pixel_f1": row["pixel_f1"], "instance_f1": row["instance_f1"],
                    "thresholds": row["thresholds"],
                    "path": _rel(folder / "cerulean-cloud-model.json")},
            "card": _rel(folder / "MODEL_CARD.md")}


def _gate(folder: Path) -> dict[str, Any]:
    """The gate's verdict, its line, and each gated metric's difference and bound."""
    doc = _json(folder / "gate.json")
    return {"verdict": doc["verdict"], "line": doc["line"],
            "candidate": doc["candidate"]["label"], "baseline": doc["baseline"]["label"],
            "margin": doc["settings"]["margin"], "alpha": doc["settings"]["alpha"],
            "metrics": {k: {"difference": m["difference"], "lower_bound": m["lower_bound"],
                            "passed": m["passed"]} for k, m in doc["metrics"].items()},
            "report": _rel(folder / "gate.md")}


def _summary(out: Path, seconds: float, evals: Path, scene_id: str, geojson: Path,
             overlay: Path, gate: Path) -> dict[str, Any]:
    heldout = _json(evals / "heldout" / "metrics.json")["summary"]
    return {
        "seconds": round(seconds, 1),
        "unet": _served(evals / "unet"),
        "maskrcnn": _served(evals / "maskrcnn"),
        "heldout": {"scene_id": scene_id, "slicks_true": heldout["slicks_true"],
                    "slicks_found": heldout["slicks_found"],
                    "slicks_false": heldout["slicks_false"], "geojson": _rel(geojson),
                    "overlay": _rel(overlay)},
        "report": _rel(evals / "unet" / "report.html"),
        "reports": {"unet": _rel(evals / "unet" / "report.html"),
                    "maskrcnn": _rel(evals / "maskrcnn" / "report.html")},
        "gate": _gate(gate),
    }


def _print_summary(summary: dict[str, Any], log: list[dict[str, Any]], summary_path: str) -> None:
    heldout = summary["heldout"]
    print(f"\nDemo done in {summary['seconds']:.0f} s "
          f"({sum(1 for s in log if s['status'] == 'reused')} of {len(log)} steps reused).")
    for name, label in (("unet", "UNet"), ("maskrcnn", "Mask R-CNN")):
        served = summary[name]
        print(f"{label} on validation scenes, as served: pixel F1 {_num(served['pixel_f1'])}"
              f"{_range(served, 'pixel_f1')}, instance F1 {_num(served['instance_f1'])}"
              f"{_range(served, 'instance_f1')}; {served['slicks_found']} of "
              f"{served['slicks_true']} slicks found, {served['slicks_false']} false "
              f"({served['slicks_predicted']} served)")
        for cls, f1 in served["pixel_f1_per_class"].items():
            print(f"  {cls:<14} pixel F1 {_num(f1)}")
        row = served["row"]
        print(f"  measured serving row: pixel_f1 {_num(row['pixel_f1'])}, instance_f1 "
              f"{_num(row['instance_f1'])}, thresholds "
              + ", ".join(f"{k.removesuffix('_thresh')} {v:g}"
                          for k, v in row["thresholds"].items()) + f" → {row['path']}")
    print(f"Held-out scene {heldout['scene_id']}: {heldout['slicks_found']} of "
          f"{heldout['slicks_true']} slicks found ({heldout['slicks_false']} false)")
    print(f"Outputs: polygons {heldout['geojson']}, overlay {heldout['overlay']}, "
          f"reports {', '.join(summary['reports'].values())}, summary {summary_path}")
    gate = summary["gate"]
    print(f"Promotion {gate['line']} (report {gate['report']})")


def _range(served: dict[str, Any], key: str) -> str:
    interval = served["intervals"].get(key)
    return f" (95% {interval[0]:.2f}–{interval[1]:.2f})" if interval else ""


def _num(value: float | None) -> str:
    """A metric to 3 decimals; None (no truth of that class) as n/a."""
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
