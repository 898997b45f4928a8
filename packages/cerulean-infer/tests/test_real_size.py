"""A real-size GRD GeoTIFF (25 000 × 17 000 uint16, GCPs) within the memory target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from infer_doubles import manifest, write_bundle

from cerulean_tiling import write_synthetic_grd
from tests.support.models import DarkIsOil

PEAK_RSS_LIMIT_MB = 2048

_SCRIPT = """
import json, sys
import torch
torch.set_num_threads(1)
from cerulean_infer import Predictor, predict_scene
p = Predictor.from_bundle(sys.argv[1], backend="onnx")
r = predict_scene(p, sys.argv[2], tilesets=1, batch_size=4)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"peak_mb": peak / 1024, "tiles": r.tiles, "slicks": len(r.slicks),
                  "decimation": r.settings["decimation"], "timings": r.timings}))
"""


@pytest.mark.slow
def test_real_size_grd_within_memory(tmp_path: Path) -> None:
    grd = write_synthetic_grd(tmp_path / "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_"
                              "033729_03E8C7_E4F5.tif")
    bundle = write_bundle(tmp_path / "dark9.bundle", DarkIsOil(), torch.rand(1, 1, 512, 512),
                          manifest(zoom=9, tile_size=512, has_onnx=True), onnx=True)
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(bundle), str(grd)],
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"real-size GRD: {report}")
    assert report["decimation"] >= 7
    assert report["tiles"] > 20 and report["slicks"] > 0
    assert report["peak_mb"] < PEAK_RSS_LIMIT_MB, report
