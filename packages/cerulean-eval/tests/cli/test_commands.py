"""The CLI: real runs into output folders, compare, and every bad input as one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from cerulean_coco import CocoDataset
from cerulean_infer import BundleManifest, Runtime

EXPECTED = {"metrics.json", "slicks.geojson", "cm_count.png", "cm_normed_true.png",
            "cm_normed_pred.png", "cm_instances.png", "pr_curves.png", "examples.png",
            "maps", "report.html"}


@pytest.fixture(scope="module")
def scored(dataset_dir: Path, truth_geojson: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real ``cerulean-eval score`` output folder (the truth scored as prediction)."""
    from cerulean_eval.cli import main

    out = tmp_path_factory.mktemp("scored") / "truth-run"
    assert main(["score", "--coco", str(dataset_dir), "--predictions", str(truth_geojson),
                 "-o", str(out), "--no-progress", "--examples", "2"]) == 0
    return out


def test_score_writes_every_output(scored: Path, run_cli: Callable[..., Any],
                                   dataset_dir: Path, truth_results: Path,
                                   tmp_path: Path) -> None:
    # GeoJSON slicks: no raw tile outputs, so no diagnostic figures.
    assert {p.name for p in scored.iterdir()} == EXPECTED - {"cm_instances.png",
                                                            "pr_curves.png"}
    metrics = json.loads((scored / "metrics.json").read_text())
    assert metrics["summary"]["pixel_f1"] == 1.0 and metrics["summary"]["instance_f1"] == 1.0
    assert metrics["source"]["kind"] == "geojson"
    out = tmp_path / "coco"
    result = run_cli("score", "--coco", dataset_dir, "--predictions", truth_results, "-o", out,
                     "--no-progress")
    assert result.code == 0, result.err
    assert {p.name for p in out.iterdir()} == EXPECTED
    for name in EXPECTED - {"metrics.json", "slicks.geojson", "maps", "report.html"}:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_needs_allow_empty_and_compare_marks_the_better_run(
        run_cli: Callable[..., Any], dataset_dir: Path, scored: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    refused = run_cli("score", "--coco", dataset_dir, "--predictions", empty,
                      "-o", tmp_path / "refused")
    assert refused.code == 1 and "--allow-empty" in refused.err
    assert not (tmp_path / "refused").exists()
    out = tmp_path / "empty-run"
    ok = run_cli("score", "--coco", dataset_dir, "--predictions", empty, "-o", out,
                 "--allow-empty", "--examples", "0")
    assert ok.code == 0, ok.err
    assert json.loads((out / "metrics.json").read_text())["summary"]["pixel_f1"] == 0.0
    assert json.loads((out / "slicks.geojson").read_text())["features"] == []
    table = run_cli("compare", scored, out)
    assert table.code == 0
    lines = {line.split()[0]: line.split()[1:] for line in table.out.splitlines()[2:]}
    assert lines["instance_f1"] == ["1.0000*", "0.0000"]
    assert lines["slicks_missed"][1] != "0" and lines["slicks_missed"][0] == "0*"
    assert lines["pixel_f1_per_class.infra_slick"] == ["1.0000*", "0.0000"]


def write_results(path: Path, results: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(results))
    return path


def one_result(dataset: CocoDataset, **change: object) -> dict[str, object]:
    ann = dataset.annotations[0]
    result: dict[str, object] = {"image_id": ann.image_id, "category_id": ann.category_id,
                                 "segmentation": dict(ann.segmentation), "score": 0.9}
    result.update(change)
    return result


def test_bad_inputs_are_one_line_and_write_nothing(run_cli: Callable[..., Any],
                                                   dataset: CocoDataset, dataset_dir: Path,
                                                   scored: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    wrong_size = {"size": [100, 100], "counts": dataset.annotations[0].segmentation["counts"]}
    cases = {
        "category id 99 is not in the dataset": write_results(
            tmp_path / "cat.json", [one_result(dataset, category_id=99)]),
        "image_id 9999 is not in the dataset": write_results(
            tmp_path / "img.json", [one_result(dataset, image_id=9999)]),
        "segmentation size [100, 100] is not the image's": write_results(
            tmp_path / "size.json", [one_result(dataset, segmentation=wrong_size)]),
        "COCO results file is not valid JSON": tmp_path / "bad.json",
        "not a segmentation result": write_results(tmp_path / "noseg.json",
                                                   [{"image_id": 1, "category_id": 1}]),
    }
    (tmp_path / "bad.json").write_text("{not json")
    for message, path in cases.items():
        result = run_cli("score", "--coco", dataset_dir, "--predictions", path, "-o", out)
        assert result.code == 1, (message, result.err)
        err = result.err.strip()
        assert err.startswith("Error: ") and "\n" not in err and message in err, err
        assert str(path) in err
        assert not out.exists()
    exists = run_cli("score", "--coco", dataset_dir, "--predictions", cases[
        "category id 99 is not in the dataset"], "-o", scored)
    assert exists.code == 1 and "already exists" in exists.err
    usage = run_cli("score", "--coco", dataset_dir, "--predictions", tmp_path / "cat.json",
                    "-o", out, "--iou-thresholds", "0.01,0.5")
    assert usage.code == 2 and "0.05–0.95" in usage.err
    preset = run_cli("score", "--coco", dataset_dir, "--predictions",
                     write_results(tmp_path / "ok.json", [one_result(dataset)]), "-o", out,
                     "--postprocess", "unet-serving")
    assert preset.code == 1 and "coco predictions are maskrcnn outputs" in preset.err
    assert not out.exists()


def test_bad_rasters_and_geojson(run_cli: Callable[..., Any], dataset: CocoDataset,
                                 dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    image = dataset.images[0]

    def raster_folder(name: str, shape: tuple[int, int], value: int = 1) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for img in dataset.images:
            size = shape if img.id == image.id else (img.height, img.width)
            data = np.full(size, value, np.uint8)
            with rasterio.open(folder / f"{img.name}.tif", "w", driver="GTiff", width=size[1],
                               height=size[0], count=1, dtype="uint8") as dst:
                dst.write(data, 1)
        return folder

    small = raster_folder("small", (64, 64))
    big_values = raster_folder("values", (image.height, image.width), value=9)
    stray = raster_folder("stray", (image.height, image.width))
    (stray / "not-a-tile.tif").write_bytes((stray / f"{image.name}.tif").read_bytes())
    zeros = raster_folder("zeros", (image.height, image.width), value=0)
    geo = tmp_path / "unknown.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"class": "oil_rig", "inf_idx": 1,
                                          "machine_confidence": 0.5},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}))
    cases = [(small, "raster is 64×64"), (big_values, "values must be class indices 0–6"),
             (stray, "names no tile of the dataset"), (zeros, "every raster is background"),
             (geo, "class 'oil_rig' is not one of")]
    for path, message in cases:
        result = run_cli("score", "--coco", dataset_dir, "--predictions", path, "-o", out)
        err = result.err.strip()
        assert result.code == 1 and err.startswith("Error: ") and "\n" not in err, err
        assert message in err, err
        assert not out.exists()


def test_run_checks_the_bundle_against_the_dataset(run_cli: Callable[..., Any],
                                                   dataset_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "m.bundle"
    bundle.mkdir()
    BundleManifest(name="m", arch="unet", backbone="resnet18",
                   classes=("background", "infra_slick", "kelp"), category_ids=(0, 1, 9),
                   channels=("vv",), postprocess="unet-serving",
                   runtime=Runtime("2.0.1", "0.15.2")).write(bundle)
    out = tmp_path / "out"
    result = run_cli("run", "--bundle", bundle, "--coco", dataset_dir, "-o", out)
    err = result.err.strip()
    assert result.code == 1 and "category ids [9] are not in the dataset" in err, err
    assert str(bundle) in err and "\n" not in err and not out.exists()
    not_bundle = run_cli("run", "--bundle", tmp_path, "--coco", dataset_dir, "-o", out)
    assert not_bundle.code == 1 and "bundle.json: cannot read bundle manifest" in not_bundle.err
    missing = run_cli("compare", tmp_path)
    assert missing.code == 1 and \
        f"{tmp_path / 'metrics.json'}: cannot read evaluation metrics file" in missing.err
    (tmp_path / "metrics.json").write_text('{"pixel_f1": 0.5}')
    no_summary = run_cli("compare", tmp_path)
    assert no_summary.code == 1 and "metrics file has no 'summary' object" in no_summary.err


def test_help_of_every_command(run_cli: Callable[..., Any]) -> None:
    for command in ("run", "score", "compare"):
        result = run_cli(command, "--help")
        assert result.code == 0 and "Example: cerulean-eval" in result.out
    run = run_cli("run", "--help").out
    assert all(flag in run for flag in ("--model-row", "--postprocess", "--threshold",
                                         "--merge", "--match-dice", "--bootstrap"))


def test_settings_from_toml_with_command_line_overrides(run_cli: Callable[..., Any],
                                                        dataset_dir: Path, truth_results: Path,
                                                        tmp_path: Path) -> None:
    settings = tmp_path / "eval.toml"
    settings.write_text('match_metric = "iou"\nmatch_threshold = 0.7\nexamples = 0\n'
                        "iou_thresholds = [0.1, 0.5]\nbootstrap = 10\nmatch_dice = 0.3\n")
    out = tmp_path / "toml-run"
    result = run_cli("score", "--coco", dataset_dir, "--predictions", truth_results, "-o", out,
                     "--config", settings, "--match-threshold", "0.3")
    assert result.code == 0, result.err
    saved = json.loads((out / "metrics.json").read_text())["settings"]
    assert (saved["match_metric"], saved["match_threshold"], saved["examples"]) == ("iou", 0.3, 0)
    assert saved["iou_thresholds"] == [0.1, 0.5]
    assert (saved["bootstrap"], saved["match_dice"]) == (10, 0.3)
    settings.write_text("match_metrik = 'iou'\n")
    bad = run_cli("score", "--coco", dataset_dir, "--predictions", truth_results,
                  "-o", tmp_path / "bad", "--config", settings)
    hint = "unknown key 'match_metrik' (did you mean 'match_metric'?)"
    assert bad.code == 1 and f"Error: {settings}: {hint}" in bad.err
    assert len(bad.err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
