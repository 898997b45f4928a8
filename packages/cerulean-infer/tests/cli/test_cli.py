"""The cerulean-infer command line, in process: outputs, settings, one-line errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from infer_doubles import manifest
from PIL import Image

from cerulean_infer.cli import main
from cerulean_infer.serving_row import ServingRow
from cerulean_tiling import SyntheticScene


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_writes_geojson_settings_overlay_and_cog(
        dark_bundle: Path, small_scenes: list[SyntheticScene], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    scene = small_scenes[0]
    out = tmp_path / "slicks.geojson"
    code, stdout, err = _run(["predict", str(scene.path), "--bundle", str(dark_bundle),
                              "-o", str(out), "--overlay", str(tmp_path / "overlay.png"),
                              "--probabilities", str(tmp_path / "p.tif"), "--no-progress",
                              "--threshold", "poly_score_thresh=0.5"], capsys)
    assert code == 0, err
    assert "slicks" in stdout
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection" and doc["features"]
    props = doc["features"][0]["properties"]
    for key in ("class", "inf_idx", "machine_confidence", "mean_conf", "median_conf",
                "max_conf", "area_km2", "scene_id", "model"):
        assert key in props
    assert props["scene_id"] == scene.scene_id and props["model"] == "dark"
    settings = json.loads((tmp_path / "slicks.settings.json").read_text())
    assert settings["merge"] == "ours" and settings["predictor"]["backend"] == "onnx"
    assert settings["predictor"]["preset"]["poly_score_thresh"] == 0.5
    assert settings["slicks"] == len(doc["features"])
    with rasterio.open(tmp_path / "p.tif") as cog:
        assert cog.count == 4 and cog.crs.to_epsg() == 4326 and cog.nodata == 255
        assert cog.descriptions == manifest().classes
        assert cog.overviews(1) or max(cog.width, cog.height) <= 512
        oil = cog.read(2)
    assert oil[oil != 255].max() == 250
    with Image.open(tmp_path / "overlay.png") as png:
        rgb = np.asarray(png.convert("RGB"))
    assert ((rgb == (0, 0, 255)).all(axis=2)).sum() > 0  # infra_slick outlines are blue


def test_serving_model_on_the_cli(dark_bundle: Path, small_scenes: list[SyntheticScene],
                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = tmp_path / "row.json"
    ServingRow.from_manifest(manifest(), _preset()).write(row)
    out = tmp_path / "prod.geojson"
    code, _, err = _run(["predict", str(small_scenes[0].path), "--bundle",
                         str(dark_bundle / "model.ts"), "--model-row", str(row), "--merge",
                         "serving", "--georef", "serving", "-o", str(out), "--no-progress"],
                        capsys)
    if importlib.util.find_spec("rio_tiler") is None:
        # Without the serving extra the command says what to install, in one line.
        assert code == 1 and 'pip install "cerulean-infer[serving]"' in err
        assert len(err.strip().splitlines()) == 1 and not out.exists()
        return
    assert code == 0, err
    settings = json.loads((tmp_path / "prod.settings.json").read_text())
    assert settings["georef"] == "serving" and settings["offsets"] == [0.0, 0.33, 0.66]
    assert json.loads(out.read_text())["features"]


def test_one_serving_tileset_keeps_its_slicks(dark_bundle: Path,
                                              small_scenes: list[SyntheticScene],
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "one.geojson"
    code, stdout, err = _run(["predict", str(small_scenes[0].path), "--bundle",
                              str(dark_bundle), "--merge", "serving", "--tilesets", "1",
                              "-o", str(out), "--no-progress"], capsys)
    assert code == 0, err
    assert "one tileset: the service's tileset ensemble was skipped" in stdout
    assert json.loads(out.read_text())["features"]
    assert json.loads((tmp_path / "one.settings.json").read_text())["ensemble"] is False


def test_affine_georef_is_refused_pointing_at_serving(
        dark_bundle: Path, small_scenes: list[SyntheticScene], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.geojson"
    code, _, err = _run(["predict", str(small_scenes[0].path), "--bundle", str(dark_bundle),
                         "--georef", "affine", "-o", str(out), "--no-progress"], capsys)
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and "--georef serving" in lines[0]
    assert not out.exists()


def _preset():  # type: ignore[no-untyped-def]
    from cerulean_infer.presets import preset

    return preset("unet-serving")


def test_info(dark_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["info", str(dark_bundle)], capsys)
    assert code == 0 and "unet" in out and "zoom 12" in out and "model.onnx" in out
    code, out, _ = _run(["info", str(dark_bundle), "--json"], capsys)
    assert json.loads(out)["name"] == "dark"


USAGE_ERRORS = {"bad_threshold", "unknown_threshold", "unknown_preset", "cog_for_serving"}


@pytest.mark.parametrize("case", ["bad_bundle", "bare_model_without_row", "bad_threshold",
                                  "unknown_threshold", "unknown_preset", "bad_scene",
                                  "missing_folder", "cog_for_serving", "bad_aux"])
def test_bad_input_is_one_line(case: str, dark_bundle: Path,
                               small_scenes: list[SyntheticScene], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    scene = str(small_scenes[0].path)
    out = tmp_path / "o.geojson"
    (tmp_path / "junk.tif").write_bytes(b"junk")
    base = ["predict", scene, "--bundle", str(dark_bundle), "-o", str(out), "--no-progress"]
    args = {
        "bad_bundle": ["predict", scene, "--bundle", str(tmp_path), "-o", str(out)],
        "bare_model_without_row": ["predict", scene, "--bundle",
                                   str(dark_bundle / "model.ts"), "-o", str(out)],
        "bad_threshold": [*base, "--threshold", "poly_score_thresh=high"],
        "unknown_threshold": [*base, "--threshold", "magic=1"],
        "unknown_preset": [*base, "--preset", "magic"],
        "bad_scene": ["predict", str(tmp_path / "junk.tif"), *base[2:]],
        "missing_folder": [*base[:-3], "-o", str(tmp_path / "no" / "o.geojson"),
                           "--no-progress"],
        "cog_for_serving": [*base, "--merge", "serving", "--probabilities",
                            str(tmp_path / "p.tif")],
        "bad_aux": [*base, "--aux", "sonar=x.tif"],
    }[case]
    code, _, err = _run(args, capsys)
    assert code == (2 if case in USAGE_ERRORS else 1), err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert not out.exists() and not (tmp_path / "o.settings.json").exists()
    assert not (tmp_path / "p.tif").exists()


def test_python_dash_m_help() -> None:
    done = subprocess.run([sys.executable, "-m", "cerulean_infer", "predict", "--help"],
                          capture_output=True, text=True, check=True)
    assert "--merge" in done.stdout and "--georef" in done.stdout
