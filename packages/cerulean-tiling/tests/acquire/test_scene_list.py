"""One scene-list reader for download and annotation-manifest: same rules, same messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cerulean_tiling.acquire.scene_list import ListedScene, read_scene_list
from cerulean_tiling.errors import SceneReadError

SCENE = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"


def test_reads_ids_providers_and_scalar_properties(tmp_path: Path) -> None:
    path = tmp_path / "scenes.geojson"
    features = [
        {"type": "Feature", "geometry": None,
         "properties": {"scene_id": SCENE, "provider": "cop", "relative_orbit": 5,
                        "polarisations": ["VV", "VH"], "start_time": "2020-08-02T14:16:46Z"}},
        {"type": "Feature", "properties": {"scene_id": "S1B_other", "provider": 3}},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert read_scene_list(path) == [
        ListedScene(SCENE, "cop", {"provider": "cop", "relative_orbit": 5,
                                   "start_time": "2020-08-02T14:16:46Z"}),
        ListedScene("S1B_other", None, {"provider": 3}),
    ]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "scene list is not valid JSON"),
        ('{"type": "Feature"}', "scene list is not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection"}', "scene list has no 'features' list"),
        ('{"type": "FeatureCollection", "features": {}}', "scene list has no 'features' list"),
        ('{"type": "FeatureCollection", "features": [{"properties": {"scene_id": ""}}]}',
         "feature 1 has no properties.scene_id"),
        ('{"type": "FeatureCollection", "features": [7]}', "feature 1 has no properties"),
    ],
)
def test_malformed_lists_name_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(SceneReadError, match=f"bad.geojson: {needle}"):
        read_scene_list(path)
    with pytest.raises(SceneReadError, match="nowhere.geojson: cannot read scene list"):
        read_scene_list(tmp_path / "nowhere.geojson")
