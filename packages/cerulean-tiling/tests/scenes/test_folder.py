"""Scene folders: discovery, and GCPs from a GRD GeoTIFF on disk or over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from cerulean_tiling.errors import SceneReadError
from cerulean_tiling.geo.gcps import GCPSet, read_gcps_json
from cerulean_tiling.scenes.folder import discover_scenes, open_scene
from cerulean_tiling.synthetic.scenes import SyntheticScene
from tests.support.grd import write_grd

Root = tuple[Path, list[SyntheticScene]]


def write_blank_grd(path: Path, gcps: GCPSet) -> None:
    """A GRD-like GeoTIFF of zeros the size the GCPs refer to, carrying them (deflated and
    tiled, so it is small to serve)."""
    write_grd(path, np.zeros((gcps.height, gcps.width), dtype=np.uint8), gcps,
              compress="deflate", tiled=True)


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """A real HTTP server on 127.0.0.1 (own process) serving a folder; yields its log."""
    root = tmp_path / "www"
    root.mkdir()
    log = tmp_path / "requests.log"
    log.touch()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[1] / "range_server.py"), str(root), str(log)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        yield root, f"http://127.0.0.1:{port}", log
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_discovery_accepts_folders_roots_and_lists(synthetic_root: Root, tmp_path: Path) -> None:
    root, scenes = synthetic_root
    expected = sorted(s.path.resolve() for s in scenes)
    assert discover_scenes([root]) == expected
    assert discover_scenes([scenes[0].path, root]) == expected
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(s.path) for s in scenes))
    assert discover_scenes([listing]) == expected
    with pytest.raises(SceneReadError, match="holds no scene folder"):
        discover_scenes([tmp_path])


def test_gcps_from_a_grd_geotiff_in_the_folder(scene_copy: Path) -> None:
    sidecar = read_gcps_json(scene_copy / "gcps.json")
    (scene_copy / "gcps.json").unlink()
    write_blank_grd(scene_copy / "grd.tiff", sidecar)
    gcps = open_scene(scene_copy).gcps
    assert (gcps.width, gcps.height) == (sidecar.width, sidecar.height)
    np.testing.assert_allclose(np.sort(gcps.lat), np.sort(sidecar.lat))


def test_no_gcps_anywhere_is_an_error(scene_copy: Path) -> None:
    (scene_copy / "gcps.json").unlink()
    with pytest.raises(SceneReadError, match="no GCPs"):
        _ = open_scene(scene_copy).gcps


def test_gcps_from_a_url_template(scene_copy: Path, tmp_path: Path,
                                  http_root: tuple[Path, str, Path],
                                  run_cli: Callable) -> None:
    """GCPs read through rasterio from a real HTTP server on 127.0.0.1."""
    www, base, log = http_root
    sidecar = read_gcps_json(scene_copy / "gcps.json")
    (scene_copy / "gcps.json").unlink()
    write_blank_grd(www / f"{scene_copy.name}.tif", sidecar)
    out = tmp_path / "tiles"
    result = run_cli("tile", scene_copy, "-o", out, "--gcps-from", base + "/{scene_id}.tif",
                     "--no-progress")
    assert result.code == 0, result.err
    assert scene_copy.name in log.read_text()
    record = json.loads(next((out / "scenes").iterdir()).read_text())
    assert record["tiles"]
    missing = run_cli("tile", scene_copy, "-o", tmp_path / "t2", "--gcps-from",
                      base + "/nothing/{scene_id}.tif", "--no-progress")
    assert missing.code != 0 and "nothing" in missing.err
    assert not (tmp_path / "t2").exists()
