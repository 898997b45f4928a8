"""A corpus of bad inputs run through every CLI of every package.

Each case corrupts a copy of something the quick demo made (scenes, datasets, runs,
bundles, predictions) and runs one real command on it as a user would (the console
script, in a subprocess). Every case must end the same way: a non-zero exit (1 for bad
data, 2 for a bad option value, where the case says which), exactly one line on stderr
naming the problem, no traceback, and no output left behind. Cases that plant a
malicious pickle also check that its code never ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
MARKER = "pickle-ran"
"""The file a malicious pickle's code would create in the test's folder."""


@dataclass(frozen=True)
class Case:
    """A bad input: ``build(demo, tmp)`` returns the command and the output it must not leave.

    ``code`` is the exit status the case must end with (None: any non-zero one).
    """

    name: str
    build: Callable[[Path, Path], tuple[list[str], Path]]
    says: str
    code: int | None = None


def _tool(name: str) -> str:
    return str(BIN / name)


def _scene(demo: Path, tmp: Path) -> Path:
    source = sorted((demo / "scenes").glob("*/S1*"))[0]
    target = tmp / "scenes" / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


def _dataset(demo: Path, tmp: Path, name: str = "val") -> Path:
    target = tmp / f"ds-{name}"
    shutil.copytree(demo / "datasets" / name, target)
    return target


def _bundle(demo: Path, tmp: Path, name: str = "unet-demo.bundle") -> Path:
    target = tmp / name
    shutil.copytree(demo / "bundles" / name, target)
    return target


def _truncated_background(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    data = (scene / "Background.png").read_bytes()
    (scene / "Background.png").write_bytes(data[: len(data) // 3])
    return [_tool("cerulean-tiling"), "tile", str(scene), "-o", str(tmp / "tiles"),
            "--no-progress"], tmp / "tiles"


def _layer_of_wrong_size(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    layer = next(p for p in sorted(scene.glob("*.png")) if p.name != "Background.png")
    Image.fromarray(np.zeros((10, 12, 4), np.uint8)).save(layer)
    return [_tool("cerulean-tiling"), "tile", str(scene), "-o", str(tmp / "tiles"),
            "--no-progress"], tmp / "tiles"


def _toml_syntax(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    config = tmp / "tiling.toml"
    config.write_text("zoom = = 9\n")
    return [_tool("cerulean-tiling"), "tile", str(_scene(demo, tmp)), "--config", str(config),
            "-o", str(tmp / "tiles")], tmp / "tiles"


def _json_wrong_type(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    config = tmp / "tiling.json"
    config.write_text('{"zoom": "nine"}')
    return [_tool("cerulean-coco"), "build", str(_scene(demo, tmp)), "--config", str(config),
            "-o", str(tmp / "dataset"), "--workers", "1"], tmp / "dataset"


def _broken_gcps(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    (scene / "gcps.json").write_text('{"crs": "EPSG:4326", "width": 10, "gcps": [')
    return [_tool("cerulean-tiling"), "info", str(scene)], tmp / "none"


def _annotations_not_json(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp)
    (dataset / "annotations.json").write_text("{not json")
    return [_tool("cerulean-coco"), "stats", str(dataset), "--csv", str(tmp / "s.csv")], \
        tmp / "s.csv"


def _file_name_climbing_out(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp)
    doc = json.loads((dataset / "annotations.json").read_text())
    doc["images"][0]["file_name"] = "tiles/../../escape.tif"
    (dataset / "annotations.json").write_text(json.dumps(doc))
    shutil.copy(dataset / "tiles" / Path(doc["images"][1]["file_name"]).name,
                tmp / "escape.tif")
    return [_tool("cerulean-coco"), "filter", str(dataset), "-o", str(tmp / "a" / "out")], \
        tmp / "a" / "out"


def _empty_dataset(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp, "train")
    doc = json.loads((dataset / "annotations.json").read_text())
    doc["images"], doc["annotations"] = [], []
    (dataset / "annotations.json").write_text(json.dumps(doc))
    return [_tool("cerulean-train"), "unet", "--train", str(dataset), "--val",
            str(_dataset(demo, tmp)), "--backbone", "xresnet18_narrow", "--epochs", "1",
            "-o", str(tmp / "run")], tmp / "run"


def _config_typo(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    config = tmp / "run.yaml"
    config.write_text("backbone: xresnet18_narrow\nepochz: 3\n")
    return [_tool("cerulean-train"), "unet", "--config", str(config), "--train",
            str(_dataset(demo, tmp, "train")), "--val", str(_dataset(demo, tmp)),
            "-o", str(tmp / "run")], tmp / "run"


def _unknown_backbone(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return [_tool("cerulean-train"), "maskrcnn", "--train", str(_dataset(demo, tmp, "train")),
            "--val", str(_dataset(demo, tmp)), "--backbone", "resnet7", "-o",
            str(tmp / "run")], tmp / "run"


def _missing_channel(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return [_tool("cerulean-train"), "unet", "--train", str(_dataset(demo, tmp, "train")),
            "--val", str(_dataset(demo, tmp)), "--channels", "vv,wind_speed", "--epochs", "1",
            "-o", str(tmp / "run")], tmp / "run"


def _unwritable_run(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    locked = tmp / "locked"
    locked.write_text("a file, not a folder")
    return [_tool("cerulean-train"), "unet", "--train", str(_dataset(demo, tmp, "train")),
            "--val", str(_dataset(demo, tmp)), "--epochs", "1", "-o", str(locked / "run")], \
        locked / "run"


def _export_not_a_run(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return [_tool("cerulean-train"), "export", str(_dataset(demo, tmp)), "-o",
            str(tmp / "x.bundle")], tmp / "x.bundle"


def _predict(bundle: Path | str, demo: Path, tmp: Path, *extra: str) -> tuple[list[str], Path]:
    scene = sorted((demo / "scenes").glob("*/S1*"))[0]
    out = tmp / "slicks.geojson"
    return [_tool("cerulean-infer"), "predict", str(scene), "--bundle", str(bundle), "-o",
            str(out), "--device", "cpu", "--no-progress", *extra], out


def _bundle_without_model(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    (bundle / "model.ts").unlink()
    (bundle / "model.onnx").unlink(missing_ok=True)
    return _predict(bundle, demo, tmp)


def _bundle_wrong_version(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    doc = json.loads((bundle / "bundle.json").read_text())
    doc["format_version"] = 99
    (bundle / "bundle.json").write_text(json.dumps(doc))
    return _predict(bundle, demo, tmp)


def _corrupt_torchscript(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    (bundle / "model.ts").write_bytes(b"PK\x03\x04 not a model")
    return _predict(bundle, demo, tmp, "--backend", "torch")


def _row_for_other_arch(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    row = json.loads((bundle / "cerulean-cloud-model.json").read_text())
    row["type"] = "MASKRCNN"
    (tmp / "row.json").write_text(json.dumps(row))
    return _predict(bundle / "model.ts", demo, tmp, "--model-row", str(tmp / "row.json"))


def _channels_the_scene_lacks(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return _predict(_bundle(demo, tmp, "maskrcnn-demo.bundle"), demo, tmp)


def _corrupt_scene(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    (scene / "Background.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    command, out = _predict(_bundle(demo, tmp), demo, tmp)
    command[2] = str(scene)
    return command, out


def _unwritable_geojson(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    (tmp / "locked").write_text("a file")
    command, _ = _predict(_bundle(demo, tmp), demo, tmp)
    out = tmp / "locked" / "slicks.geojson"
    command[command.index("-o") + 1] = str(out)
    return command, out


def _predictions_for_unknown_images(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    results = [{"image_id": 987654, "category_id": 1, "score": 0.9,
                "segmentation": {"size": [512, 512], "counts": "PPYo0"}}]
    (tmp / "results.json").write_text(json.dumps(results))
    return [_tool("cerulean-eval"), "score", "--coco", str(_dataset(demo, tmp)),
            "--predictions", str(tmp / "results.json"), "-o", str(tmp / "eval")], tmp / "eval"


def _predictions_not_json(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    (tmp / "results.json").write_text("[{")
    return [_tool("cerulean-eval"), "score", "--coco", str(_dataset(demo, tmp)),
            "--predictions", str(tmp / "results.json"), "-o", str(tmp / "eval")], tmp / "eval"


def _empty_predictions(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    (tmp / "results.json").write_text("[]")
    return [_tool("cerulean-eval"), "score", "--coco", str(_dataset(demo, tmp)),
            "--predictions", str(tmp / "results.json"), "-o", str(tmp / "eval")], tmp / "eval"


def _eval_not_a_bundle(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp)
    return [_tool("cerulean-eval"), "run", "--bundle", str(dataset), "--coco", str(dataset),
            "-o", str(tmp / "eval")], tmp / "eval"


def _odd_name(path: Path, raw: bytes) -> Path:
    """Rename ``path`` to the file name ``raw`` (bytes that need not be UTF-8)."""
    target = os.fsencode(path.parent) + b"/" + raw
    os.rename(os.fsencode(path), target)
    return Path(os.fsdecode(target))


def _layer_name_not_utf8(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    layer = next(p for p in sorted(scene.glob("*.png")) if p.name != "Background.png")
    _odd_name(layer, b"slick_\xff\xfe.png")
    return [_tool("cerulean-tiling"), "tile", str(scene), "-o", str(tmp / "tiles"),
            "--no-progress"], tmp / "tiles"


def _build_layer_name_not_utf8(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    command, _ = _layer_name_not_utf8(demo, tmp)
    scene = Path(command[2])
    return [_tool("cerulean-coco"), "build", str(scene), "-o", str(tmp / "dataset"),
            "--workers", "1", "--no-progress"], tmp / "dataset"


def _corrupt_background(scene: Path) -> None:
    (scene / "Background.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")


def _build_only_scene_fails(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    scene = _scene(demo, tmp)
    _corrupt_background(scene)
    return [_tool("cerulean-coco"), "build", str(scene), "-o", str(tmp / "dataset"),
            "--workers", "1", "--no-progress"], tmp / "dataset"


def _two_scenes_one_corrupt(demo: Path, tmp: Path) -> Path:
    sources = sorted((demo / "scenes").glob("*/S1*"))[:2]
    for source in sources:
        shutil.copytree(source, tmp / "scenes" / source.parent.name / source.name)
    _corrupt_background(tmp / "scenes" / sources[1].parent.name / sources[1].name)
    return tmp / "scenes"


def _build_one_of_two_fails(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    # The dataset folder keeps the good scene's part for the rerun; what must not
    # appear is the mark of a finished dataset.
    return [_tool("cerulean-coco"), "build", str(_two_scenes_one_corrupt(demo, tmp)),
            "-o", str(tmp / "dataset"), "--workers", "1", "--no-progress"], \
        tmp / "dataset" / "annotations.json"


def _validate_after_failed_build(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    build, _ = _build_one_of_two_fails(demo, tmp)
    done = subprocess.run(build, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    return [_tool("cerulean-coco"), "validate", str(tmp / "dataset")], tmp / "none"


def _raster_without_georeference(tmp: Path) -> Path:
    import rasterio

    path = tmp / "plain.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1,
                       dtype="uint8") as dst:
        dst.write(np.zeros((1, 64, 64), np.uint8))
    return path


def _gcps_from_plain_raster(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    plain = _raster_without_georeference(tmp)
    return [_tool("cerulean-tiling"), "tile", str(_scene(demo, tmp)), "--gcps-from",
            str(plain), "-o", str(tmp / "tiles"), "--no-progress"], tmp / "tiles"


def _predict_plain_raster(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    command, out = _predict(_bundle(demo, tmp), demo, tmp)
    command[2] = str(_raster_without_georeference(tmp))
    return command, out


def _malicious_pickle(path: Path, marker: Path) -> Path:
    """A torch file whose unpickling would run a shell command creating ``marker``."""
    import torch

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, (f"touch {marker}",)

    torch.save({"conv.weight": torch.zeros(1), "payload": Payload()}, path)
    return path


def _train_from_malicious_weights(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    evil = _malicious_pickle(tmp / "evil.pt", tmp / MARKER)
    return [_tool("cerulean-train"), "unet", "--train", str(_dataset(demo, tmp, "train")),
            "--val", str(_dataset(demo, tmp)), "--backbone", "xresnet18_narrow",
            "--weights", str(evil), "--epochs", "1", "--device", "cpu", "-o",
            str(tmp / "run")], tmp / "run"


def _run_copy(demo: Path, tmp: Path, arch: str = "unet") -> Path:
    target = tmp / f"run-{arch}"
    shutil.copytree(demo / "runs" / arch, target)
    return target


def _export_malicious_weights(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    run = _run_copy(demo, tmp)
    _malicious_pickle(run / "weights.pt", tmp / MARKER)
    return [_tool("cerulean-train"), "export", str(run), "-o", str(tmp / "x.bundle"),
            "--no-onnx"], tmp / "x.bundle"


def _export_weights_of_another_model(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    run = _run_copy(demo, tmp, "maskrcnn")
    shutil.copy(demo / "runs" / "unet" / "weights.pt", run / "weights.pt")
    return [_tool("cerulean-train"), "export", str(run), "-o", str(tmp / "x.bundle")], \
        tmp / "x.bundle"


def _export_misshapen_weights(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    import torch

    run = _run_copy(demo, tmp)
    state = torch.load(run / "weights.pt", weights_only=True)
    first = next(k for k, v in state.items() if v.ndim == 4)
    state[first] = torch.zeros(3, 3, 3, 3)
    torch.save(state, run / "weights.pt")
    return [_tool("cerulean-train"), "export", str(run), "-o", str(tmp / "x.bundle"),
            "--no-onnx"], tmp / "x.bundle"


def _without_slicks(dataset: Path) -> Path:
    doc = json.loads((dataset / "annotations.json").read_text())
    doc["annotations"] = []
    (dataset / "annotations.json").write_text(json.dumps(doc))
    return dataset


def _unet_val_without_slicks(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return [_tool("cerulean-train"), "unet", "--train", str(_dataset(demo, tmp, "train")),
            "--val", str(_without_slicks(_dataset(demo, tmp))), "--backbone",
            "xresnet18_narrow", "--epochs", "1", "--device", "cpu", "-o", str(tmp / "run")], \
        tmp / "run"


def _maskrcnn_val_without_slicks(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    return [_tool("cerulean-train"), "maskrcnn", "--config",
            str(REPO / "packages/cerulean-train/configs/maskrcnn-demo.yaml"), "--train",
            str(_dataset(demo, tmp, "train")), "--val",
            str(_without_slicks(_dataset(demo, tmp))), "--epochs", "1", "-o",
            str(tmp / "run")], tmp / "run"


def _unet_fails_on_its_first_tile(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    train = _dataset(demo, tmp, "train")
    for tile in (train / "tiles").glob("*.tif"):
        tile.write_bytes(tile.read_bytes()[:300])
    return [_tool("cerulean-train"), "unet", "--train", str(train), "--val",
            str(_dataset(demo, tmp)), "--backbone", "xresnet18_narrow", "--epochs", "1",
            "--device", "cpu", "--no-progress", "-o", str(tmp / "run")], tmp / "run"


def _predictions_off_the_globe(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp)
    image = json.loads((dataset / "annotations.json").read_text())["images"][0]
    west, south, east, north = image["bounds"]
    ring = [[west, south + 100], [east, south + 100], [east, north + 100],
            [west, north + 100], [west, south + 100]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
               "properties": {"class": "infra_slick", "inf_idx": 1,
                              "machine_confidence": 0.9, "scene_id": image["scene_id"]}}
    (tmp / "slicks.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": [feature]}))
    return [_tool("cerulean-eval"), "score", "--coco", str(dataset), "--predictions",
            str(tmp / "slicks.geojson"), "-o", str(tmp / "eval")], tmp / "eval"


Build = Callable[[Path, Path], tuple[list[str], Path]]


def _usage(tool: str, *args: str, output: str = "out") -> Build:
    """A command with a bad option value; ``{demo}``/``{tmp}`` in args are filled in."""

    def build(demo: Path, tmp: Path) -> tuple[list[str], Path]:
        filled = [a.format(demo=demo, tmp=tmp) for a in args]
        return [_tool(tool), *filled, "-o", str(tmp / output)], tmp / output

    return build


def _eval_run(bundle: Path | str, dataset: Path, tmp: Path, *extra: str
              ) -> tuple[list[str], Path]:
    return [_tool("cerulean-eval"), "run", "--bundle", str(bundle), "--coco", str(dataset),
            "-o", str(tmp / "eval"), "--device", "cpu", "--no-progress", *extra], tmp / "eval"


def _eval_row_without_thresholds(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    row = json.loads((bundle / "cerulean-cloud-model.json").read_text())
    row["thresholds"] = {}
    (tmp / "row.json").write_text(json.dumps(row))
    return _eval_run(bundle / "model.ts", _dataset(demo, tmp), tmp, "--model-row",
                     str(tmp / "row.json"))


def _eval_row_with_other_classes(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    bundle = _bundle(demo, tmp)
    row = json.loads((bundle / "cerulean-cloud-model.json").read_text())
    row["cls_map"] = {"0": "BACKGROUND", "1": "INFRA", "2": "NATURAL"}
    (tmp / "row.json").write_text(json.dumps(row))
    return _eval_run(bundle, _dataset(demo, tmp), tmp, "--model-row", str(tmp / "row.json"))


def _eval_dataset_of_another_grid(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    dataset = _dataset(demo, tmp)
    doc = json.loads((dataset / "annotations.json").read_text())
    for image in doc["images"]:
        image["tile_index"] = [10, *image["tile_index"][1:]]
    (dataset / "annotations.json").write_text(json.dumps(doc))
    return _eval_run(_bundle(demo, tmp), dataset, tmp)


def _eval_existing_output(demo: Path, tmp: Path) -> tuple[list[str], Path]:
    # Refused at once, before the (corrupt) model is read.
    bundle = _bundle(demo, tmp)
    (bundle / "model.ts").write_bytes(b"PK\x03\x04 not a model")
    (tmp / "eval").mkdir()
    (tmp / "eval" / "metrics.json").write_text("{}")
    command, _ = _eval_run(bundle, _dataset(demo, tmp), tmp, "--backend", "torch")
    return command, tmp / "eval" / "report.html"


CASES = [
    Case("tiling: truncated Background.png", _truncated_background, "Background.png"),
    Case("tiling: layer of the wrong size", _layer_of_wrong_size, ".png"),
    Case("tiling: TOML syntax error", _toml_syntax, "tiling.toml"),
    Case("tiling: broken gcps.json", _broken_gcps, "gcps.json"),
    Case("coco: config value of the wrong type", _json_wrong_type, "zoom"),
    Case("coco: annotations.json is not JSON", _annotations_not_json, "annotations.json"),
    Case("coco: file_name that climbs out of the dataset", _file_name_climbing_out,
         "tiles/../../escape.tif"),
    Case("train: empty training dataset", _empty_dataset, "ds-train"),
    Case("train: config key typo", _config_typo, "epochz"),
    Case("train: unknown backbone", _unknown_backbone, "resnet7"),
    Case("train: channel the tiles lack", _missing_channel, "wind_speed"),
    Case("train: unwritable run folder", _unwritable_run, "locked"),
    Case("train: export of a folder that is no run", _export_not_a_run, "ds-val"),
    Case("infer: bundle without model.ts", _bundle_without_model, "model.ts"),
    Case("infer: bundle of another format version", _bundle_wrong_version, "format_version"),
    Case("infer: corrupt TorchScript", _corrupt_torchscript, "model.ts"),
    Case("infer: model row for another architecture", _row_for_other_arch, "maskrcnn"),
    Case("infer: channels the scene cannot give", _channels_the_scene_lacks, "infra_distance"),
    Case("infer: corrupt scene PNG", _corrupt_scene, "Background.png"),
    Case("infer: unwritable output", _unwritable_geojson, "locked"),
    Case("eval: predictions for unknown images", _predictions_for_unknown_images, "987654"),
    Case("eval: predictions that are not JSON", _predictions_not_json, "results.json"),
    Case("eval: empty predictions without --allow-empty", _empty_predictions, "allow-empty"),
    Case("eval: a bundle that is not one", _eval_not_a_bundle, "ds-val"),
    # Issue 18, 3: a failed build leaves nothing that looks finished or validates.
    Case("coco: build whose only scene fails", _build_only_scene_fails, "Background.png", 1),
    Case("coco: build with one of two scenes failing", _build_one_of_two_fails,
         "1 of 2 scene(s) failed", 1),
    Case("coco: validate a build with a failed scene", _validate_after_failed_build,
         "problem(s) found", 1),
    # 4: odd names and odd geometry are data.
    Case("tiling: layer file name not UTF-8", _layer_name_not_utf8, "slick_\\xff\\xfe.png", 1),
    Case("coco: layer file name not UTF-8", _build_layer_name_not_utf8, "slick_\\xff\\xfe.png",
         1),
    Case("eval: predicted slick outside lon/lat", _predictions_off_the_globe, "feature 0", 1),
    # 5: untrusted pickles.
    Case("train: --weights is a malicious pickle", _train_from_malicious_weights,
         "evil.pt: not a plain state dict", 1),
    Case("train: export of a run holding a malicious weights.pt", _export_malicious_weights,
         "weights.pt: not a plain state dict", 1),
    # 6: degenerate training data, failed starts, weights that do not fit.
    Case("train: UNet validation set without slicks", _unet_val_without_slicks,
         "no validation tile holds a slick", 1),
    Case("train: Mask R-CNN validation set without slicks", _maskrcnn_val_without_slicks,
         "no validation tile holds a slick", 1),
    Case("train: run failing on its first tile", _unet_fails_on_its_first_tile,
         "unreadable tile", 1),
    Case("train: export of weights of another model", _export_weights_of_another_model,
         "weights.pt: weights do not fit", 1),
    Case("train: export of misshapen weights", _export_misshapen_weights,
         "in the file", 1),
    # 7: one line, and usage errors exit 2.
    Case("tiling: --gcps-from a raster without GCPs", _gcps_from_plain_raster, "plain.tif", 1),
    Case("infer: scene raster without GCPs or CRS", _predict_plain_raster, "plain.tif", 1),
    Case("tiling: --zoom out of range", _usage("cerulean-tiling", "tile", "{demo}/scenes",
                                              "--zoom", "40"), "--zoom: 40 is out of range", 2),
    Case("coco: split --val 1.5", _usage("cerulean-coco", "split", "{demo}/scenes", "--val",
                                          "1.5"), "--val 1.5", 2),
    Case("coco: filter --preset unknown", _usage("cerulean-coco", "filter",
                                                 "{demo}/datasets/val", "--preset", "cloud5"),
         "cloud5", 2),
    Case("coco: filter --remap without =", _usage("cerulean-coco", "filter",
                                                  "{demo}/datasets/val", "--remap", "vessel"),
         "SOURCE=TARGET", 2),
    Case("train: --lr -0.01", _usage("cerulean-train", "unet", "--train",
                                     "{demo}/datasets/train", "--val", "{demo}/datasets/val",
                                     "--lr", "-0.01"), "--lr", 2),
    Case("train: --epochs 0", _usage("cerulean-train", "maskrcnn", "--train",
                                     "{demo}/datasets/train", "--val", "{demo}/datasets/val",
                                     "--epochs", "0"), "--epochs", 2),
    Case("train: unknown --channels", _usage("cerulean-train", "unet", "--train",
                                             "{demo}/datasets/train", "--val",
                                             "{demo}/datasets/val", "--channels", "vv,sar"),
         "'sar'", 2),
    Case("train: unknown UNet --backbone", _usage("cerulean-train", "unet", "--train",
                                                  "{demo}/datasets/train", "--val",
                                                  "{demo}/datasets/val", "--backbone",
                                                  "resnet7"), "resnet7", 2),
    Case("eval: --device tpu", _usage("cerulean-eval", "run", "--bundle",
                                      "{demo}/bundles/unet-demo.bundle", "--coco",
                                      "{demo}/datasets/val", "--device", "tpu"), "tpu", 2),
    Case("infer: --device tpu", _usage("cerulean-infer", "predict", "{demo}/scenes",
                                       "--bundle", "{demo}/bundles/unet-demo.bundle",
                                       "--device", "tpu", output="out.geojson"), "tpu", 2),
    Case("eval: --preset unknown", _usage("cerulean-eval", "score", "--coco",
                                          "{demo}/datasets/val", "--predictions",
                                          "{demo}/datasets/val/annotations.json", "--preset",
                                          "cloud5"), "cloud5", 2),
    Case("eval: a model row without thresholds", _eval_row_without_thresholds,
         "no thresholds"),
    Case("eval: a model whose class count differs from its row",
         _eval_row_with_other_classes, "cls_map names 3 classes"),
    Case("eval: a dataset from another grid", _eval_dataset_of_another_grid,
         "dataset from another grid"),
    Case("eval: an existing output folder", _eval_existing_output, "already exists"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_leaves_nothing(
    case: Case, demo_run: tuple[Path, str], tmp_path: Path
) -> None:
    demo, _ = demo_run
    command, output = case.build(demo, tmp_path)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode != 0, f"{case.name}: exit 0\n{completed.stdout[-1000:]}"
    assert case.code is None or completed.returncode == case.code, \
        f"{case.name}: exit {completed.returncode}, not {case.code}: {completed.stderr[-500:]}"
    assert len(lines) == 1, f"{case.name}: stderr is not one line:\n{completed.stderr[-2000:]}"
    assert lines[0].startswith("Error: "), lines[0]
    assert case.says in lines[0], f"{case.name}: {lines[0]!r} does not name {case.says!r}"
    assert "weights_only=False" not in lines[0]
    assert not (tmp_path / MARKER).exists(), f"{case.name}: the pickle's code ran"
    # The output itself, or a hidden temporary sibling named after it.
    leftovers = [p for p in output.parent.iterdir()
                 if p.name == output.name or (p.name.startswith(".") and output.name in p.name)] \
        if output.parent.is_dir() else []
    assert not leftovers, f"{case.name}: left {leftovers}"


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def _strict_json(path: Path) -> object:
    """Parse ``path`` as RFC 8259 JSON: NaN and Infinity are refused."""
    def refuse(token: str) -> float:
        raise AssertionError(f"{path}: holds {token}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_failed_build_reruns_into_a_complete_dataset(demo_run: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    demo, _ = demo_run
    command, finished = _build_one_of_two_fails(demo, tmp_path)
    assert _run(command).returncode == 1 and not finished.exists()
    source = sorted((demo / "scenes").glob("*/S1*"))[:2]
    broken = tmp_path / "scenes" / source[1].parent.name / source[1].name
    shutil.copy(source[1] / "Background.png", broken / "Background.png")
    again = _run(command)
    assert again.returncode == 0 and again.stderr.strip() == "", again.stderr
    assert "1 scene(s) built, 1 already built, 0 failed" in again.stdout
    images = json.loads(finished.read_text())["images"]
    assert {im["scene_id"] for im in images} == {s.name for s in source}
    valid = _run([_tool("cerulean-coco"), "validate", str(finished.parent)])
    assert valid.returncode == 0, valid.stdout


def test_failed_start_leaves_nothing_so_the_same_command_runs_again(
        demo_run: tuple[Path, str], tmp_path: Path) -> None:
    demo, _ = demo_run
    command, run = _unet_fails_on_its_first_tile(demo, tmp_path)
    first, second = _run(command), _run(command)
    for done in (first, second):
        assert done.returncode == 1 and "unreadable tile" in done.stderr, done.stderr
        assert "not an empty folder" not in done.stderr
    assert not run.exists()


def test_self_intersecting_prediction_is_repaired_and_scored(demo_run: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    demo, _ = demo_run
    dataset = _dataset(demo, tmp_path)
    doc = json.loads((dataset / "annotations.json").read_text())
    annotation = max(doc["annotations"], key=lambda a: a["area"])
    image = next(im for im in doc["images"] if im["id"] == annotation["image_id"])
    category = next(c["name"] for c in doc["categories"]
                    if c["id"] == annotation["category_id"])
    west, south, east, north = image["bounds"]
    x, y, w, h = annotation["bbox"]

    def lonlat(col: float, row: float) -> list[float]:
        return [west + (east - west) * col / image["width"],
                north - (north - south) * row / image["height"]]

    # A bow tie over the slick: its two edges cross, so the ring is not a valid polygon.
    bow = [lonlat(x, y), lonlat(x + w, y + h), lonlat(x + w, y), lonlat(x, y + h),
           lonlat(x, y)]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [bow]},
               "properties": {"class": category, "inf_idx": 1, "machine_confidence": 0.9,
                              "scene_id": image["scene_id"]}}
    predictions = tmp_path / "bow.geojson"
    predictions.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = tmp_path / "eval"
    done = _run([_tool("cerulean-eval"), "score", "--coco", str(dataset), "--predictions",
                 str(predictions), "-o", str(out)])
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "bow.geojson" in lines[0] and "repaired 1" in lines[0], lines
    assert isinstance(_strict_json(out / "metrics.json"), dict)
