"""The CLI end to end: success paths, and bad inputs giving one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_coco.building.build import BuildReport
from cerulean_tiling.scenes.folder import discover_scenes

Run = Callable[..., Any]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["build", "split", "filter", "stats", "validate", "merge"])
def test_every_command_explains_itself(run_cli: Run, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.code == 0 and "Usage:" in result.out and len(result.out) > 200


def test_split_filter_stats_validate_succeed(run_cli: Run, scene_root: Path,
                                             built: BuildReport, tmp_path: Path) -> None:
    result = run_cli("split", scene_root, "--val", "0.34", "--test", "0.17", "--seed", "2",
                     "-o", tmp_path / "splits")
    assert result.code == 0, result.err
    listed = [line for name in ("train", "val", "test")
              for line in (tmp_path / "splits" / f"{name}.txt").read_text().splitlines()]
    assert len(listed) == len(set(listed)) == len(discover_scenes([scene_root]))

    result = run_cli("filter", built.dataset, "-o", tmp_path / "cloud4", "--preset", "cloud4",
                     "--negatives", "1", "--seed", "3")
    assert result.code == 0, result.err
    assert "infra_slick, natural_seep, vessel" in result.out

    result = run_cli("stats", tmp_path / "cloud4", "--csv", tmp_path / "s.csv", "--no-progress")
    assert result.code == 0, result.err
    assert "images without instances: 1" in result.out
    assert (tmp_path / "s.csv").read_text().startswith("annotation_id,")
    result = run_cli("stats", tmp_path / "cloud4", "--json")
    assert json.loads(result.out)["images_without_instances"] == 1

    result = run_cli("validate", tmp_path / "cloud4", "--checksums")
    assert result.code == 0 and result.out.strip().endswith("valid"), result.out + result.err


def test_corrupt_annotations(run_cli: Run, dataset_copy: Path, tmp_path: Path) -> None:
    (dataset_copy / "annotations.json").write_text('{"images": [1,')
    for args in (("stats", dataset_copy), ("filter", dataset_copy, "-o", tmp_path / "out"),
                 ("merge", dataset_copy, dataset_copy, "-o", tmp_path / "out"),
                 ("validate", dataset_copy)):
        result = run_cli(*args)
        assert result.code == 1
        line = _one_error_line(result.err)
        if args[0] != "validate":
            assert "annotations.json: COCO document is not valid JSON" in line
    assert not (tmp_path / "out").exists()


def test_missing_tiles_are_listed(run_cli: Run, dataset_copy: Path) -> None:
    tiles = sorted((dataset_copy / "tiles").iterdir())[:2]
    for tile in tiles:
        tile.unlink()
    result = run_cli("validate", dataset_copy)
    assert result.code == 1
    assert "problem(s) found" in _one_error_line(result.err)
    for tile in tiles:
        assert tile.name in result.out


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        # Names are checked against the dataset: bad data for it (1).
        (("--remove", "slick"), "unknown class 'slick'", 1),
        (("--drop-images-with", "oil"), "unknown class 'oil'", 1),
        (("--remap", "old_vessel=boat"), "unknown target 'boat'", 1),
        (("--negatives", "100000"), "100000 asks for more empty tiles", 1),
        # Option values that are wrong whatever the dataset: usage (2).
        (("--remap", "old_vessel"), "'old_vessel' is not SOURCE=TARGET", 2),
        (("--preset", "cloud9"), "'cloud9' is not 'cloud4'", 2),
        (("--preset", "cloud4", "--remap", "a=b"), "cannot be combined", 2),
        (("--min-area", "-3"), "-3", 2),
    ],
)
def test_bad_filters(run_cli: Run, built: BuildReport, tmp_path: Path,
                     args: tuple[str, ...], message: str, code: int) -> None:
    result = run_cli("filter", built.dataset, "-o", tmp_path / "out", *args)
    assert result.code == code, result.err
    assert message in _one_error_line(result.err)
    assert list(tmp_path.iterdir()) == []


def test_bad_build_inputs(run_cli: Run, built: BuildReport, scene_root: Path,
                          tmp_path: Path) -> None:
    result = run_cli("build", tmp_path / "nowhere", "-o", tmp_path / "ds")
    assert result.code == 1
    assert "nowhere: no such scene folder" in _one_error_line(result.err)
    result = run_cli("build", scene_root, "-o", tmp_path / "ds", "--aux", "sonar=x.tif")
    assert result.code == 2 and "unknown aux channel 'sonar'" in _one_error_line(result.err)
    assert not (tmp_path / "ds").exists()
    copy = tmp_path / "copy"
    shutil.copytree(built.dataset, copy)
    result = run_cli("build", scene_root, "-o", copy, "--zoom", "8", "--no-progress")
    assert result.code == 1
    assert "tiling.zoom: 9 -> 8" in _one_error_line(result.err)
    assert (copy / "annotations.json").read_bytes() == (
        built.dataset / "annotations.json").read_bytes()
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    result = run_cli("build", scene_root, "-o", tmp_path / "stuff")
    assert "not a cerulean-coco dataset folder" in _one_error_line(result.err)


def test_build_with_a_failing_scene_exits_non_zero(run_cli: Run, scene_root: Path,
                                                   tmp_path: Path) -> None:
    good = discover_scenes([scene_root])[0]
    root = tmp_path / "scenes"
    shutil.copytree(good, root / good.parent.name / good.name)
    broken = root / "vessel" / "S1B_IW_GRDH_1SDV_20210101T000000_20210101T000025_012345_ABCDEF_0001"
    shutil.copytree(good, broken)
    (broken / "gcps.json").write_text("{}")
    result = run_cli("build", root, "-o", tmp_path / "ds", "--workers", "1", "--no-progress")
    assert result.code == 1
    assert "1 scene(s) built" in result.out
    failed = [line for line in result.out.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1 and str(broken) in failed[0] and "gcps.json" in failed[0]
    line = _one_error_line(result.err)
    assert "1 of 2 scene(s) failed" in line and str(broken) in line and "gcps.json" in line
    assert not (tmp_path / "ds" / "annotations.json").exists()
    result = run_cli("validate", tmp_path / "ds")
    assert result.code == 1 and broken.name in result.out and "failed" in result.out
    assert "problem(s) found" in _one_error_line(result.err)


def test_merge_duplicates_and_split_fractions(run_cli: Run, built: BuildReport,
                                              scene_root: Path, tmp_path: Path) -> None:
    result = run_cli("merge", built.dataset, built.dataset, "-o", tmp_path / "m")
    assert result.code == 1 and "--prefer" in _one_error_line(result.err)
    result = run_cli("merge", built.dataset, built.dataset, "-o", tmp_path / "m",
                     "--prefer", "last")
    assert result.code == 0, result.err
    result = run_cli("split", scene_root, "--val", "0.7", "--test", "0.3", "-o",
                     tmp_path / "s")
    assert result.code == 2 and "leave no scenes for training" in _one_error_line(result.err)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("zoom = \n", ("bad.toml", "not valid TOML")),
        ('zoom = "nine"\n', ("bad.toml", "zoom", "expected an integer")),
        ("colour_tolerance = 500\n", ("bad.toml", "colour_tolerance", "500 is out of range")),
        ("[tiling]\nwater = 1\n", ("bad.toml", "unknown key 'water'")),
    ],
)
def test_bad_build_config(run_cli: Run, scene_root: Path, tmp_path: Path, text: str,
                          needles: tuple[str, ...]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = run_cli("build", scene_root, "-o", tmp_path / "ds", "--config", config)
    assert result.code == 1
    line = _one_error_line(result.err)
    for needle in needles:
        assert needle in line, line
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda doc: "{", "manifest.json: dataset manifest is not valid JSON"),
        (lambda doc: "[]", "manifest.json: dataset manifest is not a JSON object"),
        (lambda doc: json.dumps({**doc, "format": 7}), "unsupported format 7"),
        (lambda doc: json.dumps({k: v for k, v in doc.items() if k != "kind"}), "'kind'"),
        (lambda doc: json.dumps({**doc, "scenes": {"x": {"colour": 1}}}), "colour"),
    ],
)
def test_corrupt_manifest(run_cli: Run, dataset_copy: Path, tmp_path: Path,
                          change: Callable[[dict[str, Any]], str], needle: str) -> None:
    path = dataset_copy / "manifest.json"
    path.write_text(change(json.loads(path.read_text())))
    for args in (("filter", dataset_copy, "-o", tmp_path / "out"),
                 ("merge", dataset_copy, dataset_copy, "-o", tmp_path / "out")):
        result = run_cli(*args)
        assert result.code == 1
        line = _one_error_line(result.err)
        assert "manifest.json" in line and needle in line, line
    assert not (tmp_path / "out").exists()


def test_build_names_a_layer_whose_name_is_not_utf8(run_cli: Run, scene_root: Path,
                                                    tmp_path: Path) -> None:
    good = discover_scenes([scene_root])[0]
    scene = tmp_path / "scenes" / good.parent.name / good.name
    shutil.copytree(good, scene)
    layer = next(p for p in sorted(scene.glob("*.png")) if p.name != "Background.png")
    os.rename(os.fsencode(layer), os.fsencode(scene) + b"/slick_\xff.png")
    result = run_cli("build", scene, "-o", tmp_path / "ds", "--workers", "1", "--no-progress")
    assert result.code == 1
    line = _one_error_line(result.err)
    assert "slick_\\xff.png: layer file name is not valid UTF-8" in line
    assert "UnicodeEncodeError" not in result.out + result.err
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(("args", "says"), [
    (("split", "{root}", "--val", "1.5"), "--val 1.5 is outside [0, 1)"),
    (("split", "{root}", "--val", "-0.1"), "--val -0.1"),
    (("split", "{root}", "--val", "0.6", "--test", "0.5"), "leave no scenes for training"),
    (("filter", "{dataset}", "--preset", "cloud5"), "'cloud5' is not 'cloud4'"),
    (("filter", "{dataset}", "--remap", "old_vessel"), "is not SOURCE=TARGET"),
    (("filter", "{dataset}", "--min-area", "-1"), "--min-area"),
    (("build", "{root}", "--workers", "0"), "--workers"),
    (("build", "{root}", "--zoom", "40"), "--zoom: 40 is out of range"),
])
def test_option_values_out_of_range_exit_2(run_cli: Run, scene_root: Path, built: BuildReport,
                                           tmp_path: Path, args: tuple[str, ...],
                                           says: str) -> None:
    filled = [a.format(root=scene_root, dataset=built.dataset) for a in args]
    result = run_cli(*filled, "-o", tmp_path / "out")
    assert result.code == 2 and says in _one_error_line(result.err), result.err
    assert not (tmp_path / "out").exists()
