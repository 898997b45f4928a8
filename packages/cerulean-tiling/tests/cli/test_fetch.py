"""``cerulean-tiling search`` / ``download`` end to end, against the 127.0.0.1 catalogue."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("eodag")
pytest.importorskip("pystac")

if TYPE_CHECKING:
    from tests.support.stac import StacServer

SEARCH = ("search", "--bbox", "10", "40", "11", "41", "--start", "2020-08-01",
          "--end", "2020-08-02", "--provider", "local_stac")


def test_search_prints_a_table_and_writes_geojson(
    eodag_env: StacServer, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "scenes.geojson"
    result = run_cli(*SEARCH, "-o", out)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:2] == ["scene_id", "start"]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(eodag_env.matching)
    assert "2 scene(s), written to" in result.err
    doc = json.loads(out.read_text())
    assert sorted(f["properties"]["scene_id"] for f in doc["features"]) == sorted(
        eodag_env.matching
    )


def test_end_date_is_inclusive(eodag_env: StacServer, run_cli: Callable[..., Any]) -> None:
    # Both matching scenes are acquired on 2020-08-02; --end 2020-08-02 must include them.
    result = run_cli("search", "--bbox", "10", "40", "11", "41", "--start", "2020-08-02",
                     "--end", "2020-08-02", "--provider", "local_stac")
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 1 + len(eodag_env.matching)


def test_download_from_scene_list_then_rerun_skips(
    eodag_env: StacServer, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    listing = tmp_path / "scenes.geojson"
    assert run_cli(*SEARCH, "-o", listing).code == 0
    out = tmp_path / "grd"
    first = run_cli("download", listing, "-o", out, "--no-progress", "--asset", "vv")
    assert first.code == 0, first.err
    assert sorted(line.split()[0] for line in first.out.splitlines()) == ["downloaded"] * 2
    for scene_id in eodag_env.matching:
        tif = out / scene_id / eodag_env.assets[scene_id].name
        assert tif.read_bytes() == eodag_env.assets[scene_id].read_bytes()
    again = run_cli("download", listing, "-o", out, "--no-progress")
    assert again.code == 0
    assert sorted(line.split()[0] for line in again.out.splitlines()) == ["skipped"] * 2


def test_download_failures_are_one_line_errors(
    eodag_env: StacServer, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    scene_id = eodag_env.matching[0]
    tif = eodag_env.path_of(eodag_env.assets[scene_id])
    eodag_env.faults.fail[tif] = 1000
    result = run_cli("download", scene_id, "-o", tmp_path / "grd", "--provider", "local_stac",
                     "--retries", "1", "--no-progress")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and result.err.splitlines()[-1] == errors[0]
    assert "download failed after 2 attempt(s): HTTP 503" in errors[0]
    assert "WARNING cerulean_tiling.acquire.retry" in result.err  # the retry was reported
    assert not (tmp_path / "grd" / scene_id).exists()

    missing = "S1A_IW_GRDH_1SDV_20210101T000000_20210101T000025_035000_041000_FFFF"
    result = run_cli("download", missing, "-o", tmp_path / "grd", "--no-progress")
    assert result.code == 1
    assert result.err.strip() == f"Error: {missing}: no such scene on any configured provider"


def test_search_rejects_a_bad_bbox(eodag_env: StacServer, run_cli: Callable[..., Any]) -> None:
    result = run_cli("search", "--bbox", "11", "40", "10", "41", "--start", "2020-08-01",
                     "--end", "2020-08-02")
    assert result.code == 2
    assert "bbox" in result.err and result.err.count("\n") == 1


def test_scene_list_naming_a_folder_outside_is_refused(
    eodag_env: StacServer, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    listing = tmp_path / "scenes.geojson"
    listing.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None,
         "properties": {"scene_id": eodag_env.matching[0], "provider": "local_stac"}},
        {"type": "Feature", "geometry": None,
         "properties": {"scene_id": "../../escaped", "provider": "local_stac"}},
    ]}))
    out = tmp_path / "a" / "grd"
    result = run_cli("download", listing, "-o", out, "--no-progress")
    assert result.code == 1
    assert result.err.strip().startswith("Error: ") and "'../../escaped'" in result.err
    assert result.err.count("\n") == 1
    assert not (tmp_path / "escaped").exists()
    assert sum(eodag_env.faults.gets.values()) == 0  # refused before any request
