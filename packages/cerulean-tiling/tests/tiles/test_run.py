"""A run's scene records are typed: written, read back, and trusted only for own files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cerulean_tiling import TiledSceneRecord, TilingConfig, tile_scenes
from cerulean_tiling.errors import OutputError
from cerulean_tiling.synthetic.scenes import SyntheticScene

Root = tuple[Path, list[SyntheticScene]]


def test_scene_record_round_trips_and_lists_the_files(synthetic_root: Root,
                                                      tmp_path: Path) -> None:
    scene = synthetic_root[1][0]
    config = TilingConfig(class_rasters=True)
    summary = tile_scenes([scene.path], tmp_path, config)
    path = tmp_path / "scenes" / f"{scene.scene_id}.json"
    record = TiledSceneRecord.load(path)
    assert record == TiledSceneRecord.of(summary.tiled[0], scene.path)
    assert record.to_json() == json.loads(path.read_text())
    assert [layer.file for layer in record.layers] == [p.name for p in
                                                        sorted(scene.path.glob("*.png"))
                                                        if p.name != "Background.png"]
    listed = {name for tile in record.tiles for name in tile.files()}
    assert listed == {p.name for p in tmp_path.glob("*.tif")}
    assert any(tile.masks_path for tile in record.tiles)


@pytest.mark.parametrize("bad", ["../../outside.tif", "/etc/passwd", "a/b.tif", ".."])
def test_a_record_naming_files_outside_the_folder_is_refused(
    synthetic_root: Root, tmp_path: Path, bad: str
) -> None:
    scene = synthetic_root[1][0]
    tile_scenes([scene.path], tmp_path / "out", TilingConfig())
    path = tmp_path / "out" / "scenes" / f"{scene.scene_id}.json"
    doc = json.loads(path.read_text())
    doc["tiles"][0]["path"] = bad
    path.write_text(json.dumps(doc))
    with pytest.raises(OutputError, match="not a cerulean-tiling scene record"):
        TiledSceneRecord.load(path)
    victim = tmp_path / "outside.tif"
    victim.write_bytes(b"keep")
    tile_scenes([scene.path], tmp_path / "out", TilingConfig(zoom=8), overwrite=True)
    assert victim.read_bytes() == b"keep"


@pytest.mark.parametrize(("written", "says"), [
    ("{truncated", "scene record is not valid JSON"),
    ("[]", "not a cerulean-tiling scene record"),
])
def test_unreadable_records_and_settings_are_refused_not_trusted(
    synthetic_root: Root, tmp_path: Path, written: str, says: str
) -> None:
    scene = synthetic_root[1][0]
    out = tmp_path / "out"
    tile_scenes([scene.path], out, TilingConfig())
    record = out / "scenes" / f"{scene.scene_id}.json"
    record.write_text(written)
    with pytest.raises(OutputError, match=f"^{record}: {says}"):
        TiledSceneRecord.load(record)
    # A tiling.json that cannot be read says nothing about the settings: without
    # --overwrite the folder is refused, with it the run starts over.
    (out / "tiling.json").write_text(written)
    with pytest.raises(OutputError, match="holds tiles made with other settings"):
        tile_scenes([scene.path], out, TilingConfig())
    summary = tile_scenes([scene.path], out, TilingConfig(), overwrite=True)
    assert [s.scene_id for s in summary.tiled] == [scene.scene_id]
