"""One scene, two commands, the same slicks: ``cerulean-infer predict`` on one tileset with
the service's merge, and ``cerulean-eval run`` on a dataset holding every tile of that
scene. Both go through cerulean-infer's ``merge_scene``; this proves the evaluation
stitches the dataset's tiles exactly as inference stitches the scene it renders.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import shape

from cerulean_coco import CocoDataset, FilterSpec, build_dataset, filter_dataset
from cerulean_infer import BundleManifest, Runtime
from cerulean_tiling import TilingConfig, write_scenes

torch = pytest.importorskip("torch")
from tests.support.models import CLASSES4, DarkIsOil, trace  # noqa: E402  (needs torch)

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def scene_and_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(scene folder, dataset of all its tiles, bundle)."""
    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("parity")
    bundle = base / "darker.bundle"
    bundle.mkdir()
    # Logits: infra_slick 9 − 60·x (VV below ~38 of 255 is oil).
    module = DarkIsOil(weight=-60.0, bias=9.0).eval()
    trace(module, 64).save(str(bundle / "model.ts"))
    torch.save(module.state_dict(), bundle / "weights.pt")
    BundleManifest(name="darker", arch="unet", backbone="conv1x1",
                   classes=CLASSES4,
                   category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
                   runtime=Runtime("2.0.1", "0.15.2"), class_preset="cloud4").write(bundle)
    (scene,) = write_scenes(base / "scenes", n=1, seed=7, size=(900, 700), layers=3)
    build_dataset([base / "scenes"], base / "annotated", TilingConfig(), workers=1,
                  progress=False)
    # The build keeps tiles with annotations and records the others: add them all back.
    empty = CocoDataset.open(base / "annotated").manifest
    assert empty is not None
    filter_dataset(base / "annotated", base / "all", FilterSpec(negatives=len(empty.negatives)))
    return scene.path, base / "all", bundle


def test_infer_predict_and_eval_run_give_the_same_slicks(
        scene_and_dataset: tuple[Path, Path, Path], tmp_path: Path) -> None:
    scene, dataset, bundle = scene_and_dataset
    predicted = tmp_path / "predicted.geojson"
    infer = subprocess.run(
        [str(BIN / "cerulean-infer"), "predict", str(scene), "--bundle", str(bundle),
         "--tilesets", "1", "--merge", "serving", "--device", "cpu", "--no-progress",
         "-o", str(predicted)], capture_output=True, text=True)
    assert infer.returncode == 0, infer.stderr
    assert "ensemble was skipped" in infer.stdout
    evaluated = tmp_path / "eval"
    run = subprocess.run(
        [str(BIN / "cerulean-eval"), "run", "--bundle", str(bundle), "--coco", str(dataset),
         "--device", "cpu", "--no-progress", "--bootstrap", "20", "-o", str(evaluated)],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    settings = json.loads(predicted.with_suffix(".settings.json").read_text())
    assert settings["tiles"] == len(CocoDataset.open(dataset).images)  # the same tiles
    ours = json.loads(predicted.read_text())["features"]
    theirs = json.loads((evaluated / "slicks.geojson").read_text())["features"]
    assert len(ours) == len(theirs) >= 3
    for a, b in zip(ours, theirs, strict=True):
        assert shape(a["geometry"]).symmetric_difference(shape(b["geometry"])).area < 1e-12
        for key in ("class", "inf_idx", "machine_confidence", "mean_conf", "max_conf",
                    "area_km2", "scene_id"):
            assert a["properties"][key] == b["properties"][key], key
    summary = json.loads((evaluated / "metrics.json").read_text())["summary"]
    assert summary["slicks_predicted"] == len(theirs)
