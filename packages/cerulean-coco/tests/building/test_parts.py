from __future__ import annotations

import shutil
from pathlib import Path

from cerulean_coco.building.build import BuildReport, build_parameters
from cerulean_coco.building.parts import ScenePart, clear_unreferenced_tiles, load_parts
from cerulean_coco.building.scenejob import parameters_digest
from cerulean_coco.format.layout import PARTS_DIR, TILES_DIR
from cerulean_tiling.config import TilingConfig


def test_parts_round_trip(built: BuildReport) -> None:
    for path in (built.dataset / PARTS_DIR).iterdir():
        assert ScenePart.load(path).dumps() == path.read_bytes()


def test_load_parts_drops_what_cannot_be_trusted(built: BuildReport, tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(built.dataset, dataset)
    parts_dir = dataset / PARTS_DIR
    names = sorted(p.name for p in parts_dir.iterdir())
    (parts_dir / names[0]).write_text("{truncated")
    (parts_dir / names[1]).write_text("[]")
    (parts_dir / ".x.json.tmp-1").write_text("{}")
    digest = parameters_digest(build_parameters(TilingConfig()))
    parts = load_parts(dataset, digest)
    assert sorted(f"{s}.json" for s in parts) == names[2:]
    assert sorted(p.name for p in parts_dir.iterdir()) == names[2:]
    removed = clear_unreferenced_tiles(dataset / TILES_DIR, parts)
    assert removed > 0
    assert not any(p.name.startswith(names[0][:-5]) for p in (dataset / TILES_DIR).iterdir())
    assert load_parts(dataset, parameters_digest(build_parameters(TilingConfig(zoom=8)))) == {}
    assert list(parts_dir.iterdir()) == []
