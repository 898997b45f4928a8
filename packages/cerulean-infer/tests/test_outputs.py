"""The output step: rehearsed before a scene is read, one line when it fails, all or nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from infer_doubles import manifest

from cerulean_infer.cli import main
from cerulean_infer.errors import OutputError
from cerulean_infer.outputs import (
    SceneOutputs,
    check_outputs,
    settings_path,
    write_scene_outputs,
)
from cerulean_tiling import SyntheticScene
from cerulean_tiling.fingerprints import sha256_file


def _all_outputs(folder: Path) -> SceneOutputs:
    return SceneOutputs(folder / "slicks.geojson", folder / "overlay.png", folder / "p.tif")


def test_rehearsal_leaves_nothing_behind(tmp_path: Path) -> None:
    check_outputs(_all_outputs(tmp_path))
    check_outputs(SceneOutputs(tmp_path / "s.geojson", probabilities=tmp_path / "p.tif",
                               probabilities_dtype="float32"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["missing folder", "folder named like the output",
                                  "file as folder", "overlay in a missing folder"])
def test_unwritable_outputs_are_refused_before_the_run(case: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file")
    (tmp_path / "taken.geojson").mkdir()
    outputs, named = {
        "missing folder": (SceneOutputs(tmp_path / "no" / "s.geojson"), "no/s.geojson"),
        "folder named like the output": (SceneOutputs(tmp_path / "taken.geojson"),
                                         "taken.geojson"),
        "file as folder": (SceneOutputs(tmp_path / "file" / "s.geojson"), "file/s.geojson"),
        "overlay in a missing folder": (SceneOutputs(tmp_path / "s.geojson",
                                                     overlay=tmp_path / "no" / "o.png"),
                                        "no/o.png"),
    }[case]
    with pytest.raises(OutputError, match=named) as caught:
        check_outputs(outputs)
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "taken.geojson"]


def test_outputs_record_the_geojson_hash(dark_results: Any, tmp_path: Path) -> None:
    outputs = _all_outputs(tmp_path)
    write_scene_outputs(dark_results(0), outputs, manifest())
    settings = json.loads(settings_path(outputs.geojson).read_text())
    assert settings["geojson_sha256"] == sha256_file(outputs.geojson)
    assert settings["slicks"] == len(json.loads(outputs.geojson.read_text())["features"])
    with rasterio.open(outputs.probabilities) as cog:  # type: ignore[arg-type]
        assert cog.descriptions == manifest().classes


def test_a_failed_write_removes_what_the_scene_wrote(dark_results: Any, tmp_path: Path) -> None:
    """The overlay and COG are written, then the GeoJSON's folder is gone: nothing stays."""
    outputs = SceneOutputs(tmp_path / "gone" / "slicks.geojson", tmp_path / "overlay.png",
                           tmp_path / "p.tif")
    with pytest.raises(OutputError, match="gone/slicks.geojson") as caught:
        write_scene_outputs(dark_results(0), outputs, manifest())
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_library_failure_after_inference_is_one_line(
        dark_results: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that lacks a feature cannot be installed beside the workspace's; the
    patched area function stands in for it, failing as shapely 2.0 failed on
    ``shapely.orient_polygons`` at the very end of a whole scene."""
    import cerulean_infer.postprocess.geojson as geojson

    def missing(*_: Any) -> float:
        raise AttributeError("module 'shapely' has no attribute 'orient_polygons'")

    monkeypatch.setattr(geojson, "area_km2", missing)
    outputs = _all_outputs(tmp_path)
    with pytest.raises(OutputError) as caught:
        write_scene_outputs(dark_results(0), outputs, manifest())
    message = str(caught.value)
    assert message.startswith(f"{outputs.geojson}: cannot write predictions (AttributeError")
    assert "orient_polygons" in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []
    # The rehearsal meets the same failure before any scene is read.
    with pytest.raises(OutputError, match="AttributeError"):
        check_outputs(outputs)


def test_predict_without_orient_polygons_writes_the_same_bytes(
        dark_bundle: Path, small_scenes: list[SyntheticScene], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without ``shapely.orient_polygons`` (shapely < 2.1, the service's 2.0.1) the
    fallback gives byte-identical GeoJSON."""
    args = ["predict", str(small_scenes[0].path), "--bundle", str(dark_bundle),
            "--no-progress", "--backend", "torch", "-o"]
    assert main([*args, str(tmp_path / "modern.geojson")]) == 0, capsys.readouterr().err
    monkeypatch.delattr(shapely, "orient_polygons", raising=False)
    assert main([*args, str(tmp_path / "fallback.geojson")]) == 0, capsys.readouterr().err
    modern = (tmp_path / "modern.geojson").read_bytes()
    assert json.loads(modern)["features"]
    assert (tmp_path / "fallback.geojson").read_bytes() == modern


def test_raster_without_georeference_is_one_line(dark_bundle: Path, tmp_path: Path) -> None:
    """In a fresh process, where rasterio's warnings would reach stderr."""
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=64, height=48, count=1,
                       dtype="uint8") as dst:
        dst.write(np.full((1, 48, 64), 100, np.uint8))
    done = subprocess.run([sys.executable, "-m", "cerulean_infer", "predict", str(plain),
                           "--bundle", str(dark_bundle), "-o", str(tmp_path / "o.geojson")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()] and "plain.tif" in done.stderr
    assert not (tmp_path / "o.geojson").exists()
