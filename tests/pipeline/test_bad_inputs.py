"""A corpus of bad inputs run through every CLI of every package.

Each case corrupts a copy of something the quick demo made (scenes, datasets, runs,
bundles, predictions) and runs one real command on it as a user would (the console
script, in a subprocess). Every case must end the same way: a non-zero exit, exactly
one line on stderr naming the problem, and no output left behind.
"""

from __future__ import annotations

import json
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


@dataclass(frozen=True)
class Case:
    """A bad input: ``build(demo, tmp)`` returns the command and the output it must not leave."""

    name: str
    build: Callable[[Path, Path], tuple[list[str], Path]]
    says: str


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
    assert len(lines) == 1, f"{case.name}: stderr is not one line:\n{completed.stderr[-2000:]}"
    assert lines[0].startswith("Error: "), lines[0]
    assert case.says in lines[0], f"{case.name}: {lines[0]!r} does not name {case.says!r}"
    # The output itself, or a hidden temporary sibling named after it.
    leftovers = [p for p in output.parent.iterdir()
                 if p.name == output.name or (p.name.startswith(".") and output.name in p.name)] \
        if output.parent.is_dir() else []
    assert not leftovers, f"{case.name}: left {leftovers}"
