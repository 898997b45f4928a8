"""One whole real-size scene through ``cerulean-infer predict`` in the service's pins.

Run by CI inside the venv of the serving service's pins (``.ci/service-pins.txt`` over
the torch 2.0.1 runtime). It checks that every pin holds, then writes cerulean-tiling's
synthetic GRD (25 000 × 17 000 uint16, GCPs only), a TorchScript model traced here by
torch 2.0.1 (a known function: pixels darker than VV ≈ 0.35 are oil) and its serving
model row, and runs ``cerulean-infer predict`` on them as a user would, with every
output (GeoJSON, settings, overlay, probability COG). The run must exit 0 with nothing
on stderr and one line on stdout, and its GeoJSON must hold the slicks.

Usage: ``python .ci/service_scene.py PINS_FILE [--size WxH]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the workspace's tests.support


def check_pins(pins: Path) -> None:
    """Every pin of the file holds in this environment."""
    for line in pins.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        req = Requirement(text)
        installed = version(req.name)
        if installed not in req.specifier:
            raise SystemExit(f"{req.name} {installed} does not satisfy the pin {req}")
    print("pins hold: " + ", ".join(
        f"{name} {version(name)}" for name in ("torch", "torchvision", "numpy", "shapely",
                                               "rasterio")))


def write_model(folder: Path) -> tuple[Path, Path]:
    """A traced 1×1-convolution UNet stand-in and its serving model row (zoom 9, 512 px)."""
    import torch

    from cerulean_infer import BundleManifest, Runtime, ServingRow
    from cerulean_infer.presets import preset
    from tests.support.models import CLASSES4, DarkIsOil, trace

    model = folder / "model.pt"
    trace(DarkIsOil(), 512).save(str(model))
    manifest = BundleManifest(
        name="ci-dark-is-oil", arch="unet", backbone="conv1x1",
        classes=CLASSES4,
        category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
        runtime=Runtime(torch.__version__.split("+")[0], "0.15.2"), zoom=9, tile_size=512)
    row = folder / "row.json"
    ServingRow.from_manifest(manifest, preset("unet-serving"), file_path=model.name).write(row)
    return model, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pins", type=Path)
    parser.add_argument("--size", default="25000x17000", help="GRD width x height")
    args = parser.parse_args()
    check_pins(args.pins)
    from cerulean_infer.postprocess import read_geojson
    from cerulean_tiling import write_synthetic_grd

    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="service-scene-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        grd = write_synthetic_grd(
            work / "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5.tif",
            width, height)
        model, row = write_model(work)
        print(f"GRD {width}x{height} and model written in {time.perf_counter() - t0:.1f} s")
        out = work / "out"
        out.mkdir()
        command = [str(Path(sys.executable).parent / "cerulean-infer"), "predict", str(grd),
                   "--bundle", str(model), "--model-row", str(row),
                   "-o", str(out / "slicks.geojson"), "--overlay", str(out / "slicks.png"),
                   "--probabilities", str(out / "slicks.tif"), "--no-progress"]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if done.returncode != 0 or done.stderr or len(done.stdout.splitlines()) != 1:
            raise SystemExit(f"cerulean-infer predict: exit {done.returncode}\n"
                             f"stdout: {done.stdout}\nstderr: {done.stderr}")
        slicks = read_geojson(out / "slicks.geojson")
        settings = json.loads((out / "slicks.settings.json").read_text())
        if not slicks or settings["slicks"] != len(slicks):
            raise SystemExit(f"{out / 'slicks.geojson'}: {len(slicks)} slicks, settings "
                             f"say {settings['slicks']}")
        for name in ("slicks.png", "slicks.tif"):
            if not (out / name).is_file():
                raise SystemExit(f"{out / name}: not written")
        print(f"predict: {done.stdout.strip()} ({seconds:.1f} s wall, "
              f"{settings['tiles']} tiles)")


if __name__ == "__main__":
    main()
