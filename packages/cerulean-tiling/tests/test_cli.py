"""The CLI end to end: success paths, resume, and every bad input a user can give.

Each bad input must give one line on stderr naming the file or value, a non-zero exit,
and leave no output behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cerulean_tiling.synthetic.scenes import SyntheticScene

Root = tuple[Path, list[SyntheticScene]]


def _one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_tile_then_resume_then_refuse_other_settings(
    synthetic_root: Root, tmp_path: Path, run_cli: Callable
) -> None:
    root, scenes = synthetic_root
    out = tmp_path / "tiles"
    first = run_cli("tile", root, "-o", out, "--no-progress")
    assert first.code == 0, first.err
    assert "3 scenes tiled" in first.out
    records = sorted(p.name for p in (out / "scenes").iterdir())
    assert records == sorted(f"{s.scene_id}.json" for s in scenes)
    record = json.loads((out / "scenes" / records[0]).read_text())
    for tile in record["tiles"]:
        assert (out / tile["path"]).is_file()
        if tile["instances"]:
            assert (out / f"{tile['name']}_masks.tif").is_file()
    stamp = {p.name: p.stat().st_mtime_ns for p in out.glob("*.tif")}

    again = run_cli("tile", root, "-o", out, "--no-progress")
    assert again.code == 0 and "3 already done" in again.out
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.tif")} == stamp

    other = run_cli("tile", root, "-o", out, "--aux", "constant", "--no-progress")
    _one_error_line(other.err, str(out), "--overwrite")
    assert other.code != 0

    replaced = run_cli("tile", root, "-o", out, "--aux", "constant", "--overwrite",
                       "--no-progress")
    assert replaced.code == 0, replaced.err
    assert json.loads((out / "tiling.json").read_text())["tiling"]["aux"] == ["constant"]


def test_interrupted_run_resumes_only_unfinished_scenes(
    synthetic_root: Root, tmp_path: Path, run_cli: Callable
) -> None:
    root, scenes = synthetic_root
    out = tmp_path / "tiles"
    assert run_cli("tile", scenes[0].path, "-o", out, "--no-progress").code == 0
    # A killed run leaves temp files and tiles of a scene without its record.
    (out / ".S1X_tile.tif.tmp-0123456789ab").write_bytes(b"partial")
    resumed = run_cli("tile", root, "-o", out, "--no-progress")
    assert resumed.code == 0, resumed.err
    assert "2 scenes tiled" in resumed.out and "1 already done" in resumed.out
    assert not list(out.glob(".*.tmp-*"))


def test_info_reports_gcps_residuals_and_layers(synthetic_root: Root, run_cli: Callable) -> None:
    scene = synthetic_root[1][0]
    result = run_cli("info", scene.path, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)[0]
    assert report["scene_id"] == scene.scene_id
    assert report["gcps"]["count"] == 210
    assert {r["model"] for r in report["residuals"]} == {"affine", "polynomial-2",
                                                         "tps-leave-one-out"}
    assert sorted(layer["file"] for layer in report["layers"]) == sorted(
        i.layer for i in scene.instances)
    text = run_cli("info", scene.path)
    assert "tps-leave-one-out" in text.out and scene.scene_id in text.out


def test_synth_writes_scenes_and_refuses_non_empty(tmp_path: Path, run_cli: Callable) -> None:
    out = tmp_path / "synth"
    result = run_cli("synth", out, "--scenes", "2", "--size", "320x256", "--seed", "3")
    assert result.code == 0, result.err
    assert len(list(out.glob("*/S1*/Background.png"))) == 2
    assert (out / "infrastructure.geojson").is_file() and (out / "vessel_density.tif").is_file()
    again = run_cli("synth", out, "--scenes", "1")
    _one_error_line(again.err, str(out), "--overwrite")
    bad = run_cli("synth", tmp_path / "x", "--size", "12by12")
    _one_error_line(bad.err, "12by12")
    assert not (tmp_path / "x").exists()


def _break(kind: str, scene: Path) -> str:
    """Damage a scene copy; return the text the error line must contain."""
    layer = next(p for p in sorted(scene.glob("*.png")) if p.name != "Background.png")
    if kind == "missing background":
        (scene / "Background.png").unlink()
        return "missing Background.png"
    if kind == "truncated png":
        data = layer.read_bytes()
        layer.write_bytes(data[: len(data) // 3])
        return layer.name
    if kind == "not a png":
        layer.write_bytes(b"GIF89a this is not a png at all")
        return layer.name
    if kind == "layer size":
        Image.new("RGBA", (100, 80)).save(layer)
        return layer.name
    if kind == "too few gcps":
        doc = json.loads((scene / "gcps.json").read_text())
        doc["gcps"] = doc["gcps"][:2]
        (scene / "gcps.json").write_text(json.dumps(doc))
        return "2 GCPs, at least 3"
    if kind == "gcps not covering":
        doc = json.loads((scene / "gcps.json").read_text())
        doc["gcps"] = [g for g in doc["gcps"] if g["col"] < doc["width"] / 3]
        (scene / "gcps.json").write_text(json.dumps(doc))
        return "does not cover"
    if kind == "gcps not json":
        (scene / "gcps.json").write_text('{"width": 10,')
        return "gcps.json: GCP sidecar is not valid JSON"
    if kind == "gcps key missing":
        doc = json.loads((scene / "gcps.json").read_text())
        del doc["height"]
        (scene / "gcps.json").write_text(json.dumps(doc))
        return "gcps.json: key 'height' is missing"
    if kind == "gcps value wrong type":
        doc = json.loads((scene / "gcps.json").read_text())
        doc["gcps"][3]["x"] = "56.1E"
        (scene / "gcps.json").write_text(json.dumps(doc))
        return "key 'gcps[3].x' must be a number"
    if kind == "bad scene id":
        target = scene.with_name("my_scene")
        scene.rename(target)
        return "my_scene"
    if kind == "unknown colours":
        with Image.open(layer) as image:
            size = image.size
        rgba = np.zeros((size[1], size[0], 4), dtype=np.uint8)
        rgba[10:20, 10:20] = (90, 30, 160, 255)
        bad = scene / "Layer 99.png"
        Image.fromarray(rgba, "RGBA").save(bad)
        return "Layer 99.png"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing background", "truncated png", "not a png",
                                  "layer size", "too few gcps", "gcps not covering",
                                  "gcps not json", "gcps key missing", "gcps value wrong type",
                                  "bad scene id", "unknown colours"])
def test_bad_scene_inputs(kind: str, scene_copy: Path, tmp_path: Path,
                          run_cli: Callable) -> None:
    needle = _break(kind, scene_copy)
    out = tmp_path / "out"
    result = run_cli("tile", scene_copy.parent, "-o", out, "--no-progress")
    assert result.code != 0
    error_lines = [line for line in result.err.splitlines() if line.startswith("Error")]
    assert error_lines and needle in error_lines[0], result.err
    assert not out.exists(), sorted(out.rglob("*"))


def test_empty_layer_is_a_warning(scene_copy: Path, tmp_path: Path, run_cli: Callable) -> None:
    with Image.open(scene_copy / "Background.png") as image:
        size = image.size
    Image.new("RGBA", size).save(scene_copy / "Layer 50.png")
    result = run_cli("tile", scene_copy, "-o", tmp_path / "out", "--no-progress")
    assert result.code == 0, result.err
    assert "Layer 50.png: empty layer" in result.err
    info = run_cli("info", scene_copy)
    assert "empty layer" in info.out


def test_unwritable_output(scene_copy: Path, tmp_path: Path, run_cli: Callable) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run_cli("tile", scene_copy, "-o", blocker / "out", "--no-progress")
    _one_error_line(result.err, str(blocker / "out"))
    assert result.code != 0


def test_existing_foreign_outputs_need_overwrite(scene_copy: Path, tmp_path: Path,
                                                run_cli: Callable) -> None:
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("mine")
    grd = out / f"{scene_copy.name}.tif"  # a user's own file named like our tiles
    grd.write_bytes(b"GRD")
    result = run_cli("tile", scene_copy, "-o", out, "--no-progress")
    _one_error_line(result.err, str(out), "not empty")
    forced = run_cli("tile", scene_copy, "-o", out, "--overwrite", "--no-progress")
    assert forced.code == 0 and keep.read_text() == "mine" and grd.read_bytes() == b"GRD"
    again = run_cli("tile", scene_copy, "-o", out, "--overwrite", "--aux", "constant",
                    "--no-progress")
    assert again.code == 0 and keep.read_text() == "mine" and grd.read_bytes() == b"GRD"


def test_bad_option_values(scene_copy: Path, tmp_path: Path, run_cli: Callable) -> None:
    for args, needle in [
        (("--aux", "wind=1.tif"), "wind"),
        (("--zoom", "30"), "--zoom: 30 is out of range"),
        (("--grid", "hex"), "hex"),
        (("--grid", "tms", "--overlap", "8"), "overlap"),
    ]:
        result = run_cli("tile", scene_copy, "-o", tmp_path / "o", *args)
        _one_error_line(result.err, needle)
        assert result.code == 2
        assert not (tmp_path / "o").exists()


def test_scene_list_file(synthetic_root: Root, tmp_path: Path, run_cli: Callable) -> None:
    _, scenes = synthetic_root
    listing = tmp_path / "scenes.txt"
    listing.write_text(f"# two scenes\n{scenes[0].path}\n\n{scenes[1].path}\n")
    result = run_cli("tile", listing, "-o", tmp_path / "out", "--no-progress")
    assert result.code == 0 and "2 scenes tiled" in result.out
    listing.write_text(f"{tmp_path / 'nowhere'}\n")
    bad = run_cli("tile", listing, "-o", tmp_path / "out2")
    _one_error_line(bad.err, "scenes.txt:1")


def test_module_entry_point_and_help(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "cerulean_tiling", "tile", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--gcps-from" in result.stdout and "--aux" in result.stdout
    script = Path(sys.executable).parent / "cerulean-tiling"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                             check=True)
    assert "cerulean-tiling" in version.stdout


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        ("bad.toml", "zoom = 9\ngrid = \n", ("bad.toml", "not valid TOML")),
        ("bad.json", '{"zoom": 9,', ("bad.json", "not valid JSON")),
        ("type.json", '{"zoom": "nine"}', ("type.json", "zoom", "expected an integer")),
        ("type.toml", "class_rasters = 1\n", ("type.toml", "class_rasters", "true or false")),
        ("unknown.toml", "zooom = 9\n", ("unknown.toml", "zooom")),
        ("range.toml", "[tiling]\ntile_size = 8\n",
         ("range.toml", "tile_size", "8 is out of range")),
        ("aux.json", '{"aux": "constant"}', ("aux.json", "aux", "list")),
        ("auxname.json", '{"aux": ["wind=x.tif"]}', ("auxname.json", "aux", "wind")),
        ("list.json", "[1, 2]", ("list.json", "expected a mapping")),
        ("binary.toml", b"\xff\xfe", ("binary.toml", "cannot read")),
    ],
)
def test_bad_config_files(
    name: str, text: str | bytes, needles: tuple[str, ...], scene_copy: Path, tmp_path: Path,
    run_cli: Callable,
) -> None:
    config = tmp_path / name
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text)
    result = run_cli("tile", scene_copy, "-o", tmp_path / "o", "--config", config)
    _one_error_line(result.err, *needles)
    assert result.code == 1
    assert not (tmp_path / "o").exists()


def test_good_config_file_and_flag_over_it(
    scene_copy: Path, tmp_path: Path, run_cli: Callable
) -> None:
    config = tmp_path / "tiling.toml"
    config.write_text('[tiling]\ngrid = "pixel"\ntile_size = 256\noverlap = 32\n')
    result = run_cli("tile", scene_copy, "-o", tmp_path / "o", "--config", config,
                     "--overlap", "16", "--no-progress")
    assert result.code == 0, result.err
    written = json.loads((tmp_path / "o" / "tiling.json").read_text())["tiling"]
    assert (written["grid"], written["tile_size"], written["overlap"]) == ("pixel", 256, 16)
    # A flag that makes the file's settings invalid is a usage error (exit 2).
    clash = run_cli("tile", scene_copy, "-o", tmp_path / "o2", "--config", config,
                    "--overlap", "200")
    _one_error_line(clash.err, "--overlap: 200 is out of range")
    assert clash.code == 2
