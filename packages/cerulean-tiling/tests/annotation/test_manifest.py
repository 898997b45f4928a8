"""The annotation page's manifest: from scene folders, search results, through the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from PIL import Image

from cerulean_tiling.annotation.manifest import (
    Manifest,
    Overlay,
    build_manifest,
    normalise_base_url,
    overlay_from_spec,
    write_manifest,
)
from cerulean_tiling.classes import CLASSES
from cerulean_tiling.cli import main
from cerulean_tiling.errors import OutputError, SceneIdError, SceneReadError

SID_A = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"
SID_B = "S1B_IW_GRDH_1SDV_20210115T052311_20210115T052336_025137_02FE1A_9B2C"
BASE = "https://data.example/scenes/"


def make_scene(root: Path, class_folder: str, scene_id: str, gcps: bool = False) -> Path:
    folder = root / class_folder / scene_id
    folder.mkdir(parents=True)
    Image.new("L", (8, 6), 40).save(folder / "Background.png")
    Image.new("RGBA", (8, 6), (0, 0, 255, 255)).save(folder / "infra_slick_1.png")
    if gcps:
        (folder / "gcps.json").write_text('{"crs": "EPSG:4326", "gcps": []}')
    return folder


def search_result(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(scene_id: object, **props: object) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        "properties": {"scene_id": scene_id, **props},
    }


def test_folders_give_urls_mirroring_the_scene_layout(tmp_path: Path) -> None:
    make_scene(tmp_path, "Recent Vessel", SID_A, gcps=True)
    make_scene(tmp_path, "Infra", SID_B)

    manifest = build_manifest([tmp_path], BASE).to_json()

    assert manifest["format_version"] == 1
    assert manifest["base_url"] == BASE
    scenes = manifest["scenes"]
    assert [(s["class_folder"], s["scene_id"]) for s in scenes] == [
        ("Infra", SID_B),
        ("Recent Vessel", SID_A),
    ]
    infra, recent = scenes
    assert infra["background"] == f"{BASE}Infra/{SID_B}/Background.png"
    assert infra["gcps"] is None
    # Spaces in class folders are URL-quoted, so the URL names the folder exactly.
    assert recent["background"] == f"{BASE}Recent%20Vessel/{SID_A}/Background.png"
    assert recent["gcps"] == f"{BASE}Recent%20Vessel/{SID_A}/gcps.json"
    assert recent["overlays"] == [] and recent["properties"] == {}


def test_manifest_carries_the_class_table(tmp_path: Path) -> None:
    make_scene(tmp_path, "Infra", SID_A)
    classes = build_manifest([tmp_path], BASE).to_json()["classes"]
    assert [(c["id"], c["name"], tuple(c["colour"])) for c in classes] == [
        (c.id, c.name, c.colour) for c in CLASSES
    ]


def test_overlays_are_filled_per_scene(tmp_path: Path) -> None:
    make_scene(tmp_path, "Infra", SID_A)
    overlays = [
        overlay_from_spec("infrastructure=overlays/{class_folder}/{scene_id}_infra.png"),
        overlay_from_spec("detections=https://det.example/{scene_id}.png"),
    ]
    manifest = build_manifest([tmp_path], "https://data.example/scenes", overlays)
    (scene,) = manifest.to_json()["scenes"]
    assert scene["overlays"] == [
        {"name": "infrastructure", "url": f"{BASE}overlays/Infra/{SID_A}_infra.png"},
        {"name": "detections", "url": f"https://det.example/{SID_A}.png"},
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-equals-sign", "NAME=URL_TEMPLATE"),
        ("name=", "NAME=URL_TEMPLATE"),
        ("=x.png", "overlay name"),
        ("a=x/{scene}.png", "bad placeholder"),
    ],
)
def test_bad_overlay_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        overlay_from_spec(spec)


def test_overlay_template_keeps_absolute_paths() -> None:
    overlay = Overlay("x", "/static/{scene_id}.png")
    assert overlay.url(BASE, SID_A, "Infra") == f"/static/{SID_A}.png"


def test_base_url_gains_a_slash_and_refuses_other_schemes() -> None:
    assert normalise_base_url("scenes") == "scenes/"
    assert normalise_base_url("http://h/x/") == "http://h/x/"
    with pytest.raises(ValueError, match="http"):
        normalise_base_url("ftp://h/x")
    with pytest.raises(ValueError, match="empty"):
        normalise_base_url("  ")


def test_search_result_scenes(tmp_path: Path) -> None:
    result = search_result(
        tmp_path / "scenes.geojson",
        [
            feature(SID_B, start="2021-01-15T05:23:11Z", relative_orbit=95, links=["x"]),
            feature(SID_A + ".SAFE", quicklook="https://q.example/a.png"),
        ],
    )
    manifest = build_manifest([result], BASE, class_folder="Campaign 3").to_json()
    a, b = manifest["scenes"]
    assert a["scene_id"] == SID_A  # the .SAFE suffix is dropped
    assert a["class_folder"] == "Campaign 3"
    assert a["background"] == f"{BASE}{SID_A}/Background.png"
    assert a["gcps"] is None
    assert a["properties"] == {"quicklook": "https://q.example/a.png"}
    # Scalar properties are kept for display, lists are not.
    assert b["properties"] == {"relative_orbit": 95, "start": "2021-01-15T05:23:11Z"}


def test_folders_and_search_results_mix_and_duplicates_are_dropped(tmp_path: Path) -> None:
    make_scene(tmp_path / "root", "Infra", SID_A)
    result = search_result(tmp_path / "s.json", [feature(SID_B), feature(SID_B)])
    manifest = build_manifest([tmp_path / "root", result, tmp_path / "root"], BASE).to_json()
    assert [(s["class_folder"], s["scene_id"]) for s in manifest["scenes"]] == [
        ("Infra", SID_A),
        ("unsorted", SID_B),
    ]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ("{not json", SceneReadError, "scene list is not valid JSON"),
        ('{"type": "Feature"}', SceneReadError, "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection"}', SceneReadError, "scene list has no 'features' list"),
        (json.dumps({"type": "FeatureCollection", "features": [{"properties": {}}]}),
         SceneReadError, "feature 1 has no properties.scene_id"),
        (json.dumps({"type": "FeatureCollection", "features": [feature("S2A_MSIL1C")]}),
         SceneIdError, "feature 1: unparseable scene id"),
    ],
)
def test_bad_search_results_name_the_file(
    tmp_path: Path, content: str, error: type[Exception], message: str
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(error, match=message) as info:
        build_manifest([path], BASE)
    assert str(path) in str(info.value)


def test_write_is_atomic_and_readable(tmp_path: Path) -> None:
    out = tmp_path / "manifest.json"
    out.write_text("old")
    write_manifest(Manifest("x/", ()), out)
    assert json.loads(out.read_text())["scenes"] == []
    assert out.stat().st_mode & stat.S_IROTH
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
    with pytest.raises(OutputError, match="does not exist"):
        write_manifest(Manifest("x/", ()), tmp_path / "missing" / "manifest.json")


def test_cli_writes_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_scene(tmp_path / "root", "Infra", SID_A, gcps=True)
    out = tmp_path / "manifest.json"
    code = main([
        "annotation-manifest", str(tmp_path / "root"), "-o", str(out),
        "--base-url", "scenes", "--overlay", "infra=overlays/{scene_id}.png",
    ])
    assert code == 0
    assert f"{out}: 1 scenes" in capsys.readouterr().out
    manifest = json.loads(out.read_text())
    assert manifest == build_manifest(
        [tmp_path / "root"], "scenes/", [Overlay("infra", "overlays/{scene_id}.png")]
    ).to_json()


def test_cli_output_is_deterministic(tmp_path: Path) -> None:
    make_scene(tmp_path / "root", "Infra", SID_A)
    make_scene(tmp_path / "root", "Seep", SID_B)
    args = ["annotation-manifest", str(tmp_path / "root"), "--base-url", BASE, "-o"]
    assert main([*args, str(tmp_path / "1.json")]) == 0
    assert main([*args, str(tmp_path / "2.json")]) == 0
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("{broken")
    out = tmp_path / "manifest.json"
    assert main(["annotation-manifest", str(bad), "-o", str(out), "--base-url", BASE]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: ") and str(bad) in err and "\n" not in err
    assert not out.exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["annotation-manifest", str(empty), "-o", str(out), "--base-url", BASE]) == 1
    assert "holds no scene folder" in capsys.readouterr().err

    code = main([
        "annotation-manifest", str(empty), "-o", str(out), "--base-url", BASE,
        "--overlay", "nothing",
    ])
    assert code == 2
    assert "NAME=URL_TEMPLATE" in capsys.readouterr().err
