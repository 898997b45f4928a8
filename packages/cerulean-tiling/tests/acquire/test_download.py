"""Scene download through eodag from a static STAC catalogue served on 127.0.0.1.

The server supports ranges and can be told to fail (see conftest), so these tests use
real HTTP: interruption mid-body, resumption with ``Range``, 5xx answers, refused auth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cerulean_tiling.acquire.download import download_scenes
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.errors import FetchAuthError, FetchError, SceneNotFoundError
from cerulean_tiling.geo.gcps import read_gcps_from_raster

pytest.importorskip("eodag")
pytest.importorskip("pystac")

if TYPE_CHECKING:
    from tests.support.stac import StacServer

FAST = RetryPolicy(attempts=3, backoff=0.0, timeout=5.0)
ONCE = RetryPolicy(attempts=1, timeout=5.0)


def _asset_paths(server: StacServer, scene_id: str) -> tuple[str, str]:
    tif = server.path_of(server.assets[scene_id])
    return tif, tif.rsplit("/", 1)[0] + "/manifest.safe"


def test_download_writes_a_complete_scene_folder(eodag_env: StacServer, tmp_path: Path) -> None:
    scene_id = eodag_env.matching[0]
    out = tmp_path / "scenes"
    results = download_scenes([scene_id], out, provider=eodag_env.provider, policy=FAST)
    assert [(r.scene_id, r.status) for r in results] == [(scene_id, "downloaded")]
    folder = out / scene_id
    source = eodag_env.assets[scene_id]
    assert (folder / source.name).read_bytes() == source.read_bytes()
    assert (folder / "manifest.safe").read_bytes() == (source.parent / "manifest.safe").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == [scene_id]  # no staging left behind
    gcps = read_gcps_from_raster(folder / source.name)
    assert len(gcps) == 16 and (gcps.width, gcps.height) == (320, 240)
    assert results[0].transferred == sum(p.stat().st_size for p in folder.iterdir())


def test_rerun_skips_complete_scenes(eodag_env: StacServer, tmp_path: Path) -> None:
    scene_id = eodag_env.matching[0]
    download_scenes([scene_id], tmp_path, provider=eodag_env.provider, policy=FAST)
    eodag_env.reset()
    results = download_scenes([(scene_id, eodag_env.provider)], tmp_path, policy=FAST)
    assert [r.status for r in results] == ["skipped"]
    assert results[0].transferred == 0
    assert sum(eodag_env.faults.gets.values()) == 0  # not even a catalogue query


def test_interrupted_download_resumes_where_it_stopped(
    eodag_env: StacServer, tmp_path: Path
) -> None:
    first, second = eodag_env.matching
    tif, manifest = _asset_paths(eodag_env, second)
    size = eodag_env.assets[second].stat().st_size
    cut = 100_000
    eodag_env.faults.drop_after[tif] = cut  # the connection dies after `cut` bytes
    with pytest.raises(FetchError) as caught:
        download_scenes([first, second], tmp_path, eodag_env.provider, policy=ONCE)
    assert "\n" not in str(caught.value) and "bytes kept" in str(caught.value)
    assert (tmp_path / first).is_dir()
    assert not (tmp_path / second).exists()  # nothing under the final name
    partial = tmp_path / f".{second}.part" / (eodag_env.assets[second].name + ".part")
    kept = partial.stat().st_size  # whole chunks received before the cut
    assert 0 < kept <= cut
    # Files go in name order: manifest.safe was complete before the GeoTIFF broke off.
    assert (partial.parent / "manifest.safe").is_file()

    eodag_env.reset()
    results = download_scenes([first, second], tmp_path, eodag_env.provider, policy=ONCE)
    assert [r.status for r in results] == ["skipped", "downloaded"]
    assert eodag_env.faults.ranges == [(tif, f"bytes={kept}-")]
    assert eodag_env.faults.bytes_sent[tif] == size - kept  # only the missing tail
    assert eodag_env.faults.gets[manifest] == 0  # finished file of the scene not fetched again
    assert (tmp_path / second / eodag_env.assets[second].name).read_bytes() == (
        eodag_env.assets[second].read_bytes()
    )
    assert not (tmp_path / f".{second}.part").exists()


def test_stale_partial_file_is_replaced_when_the_server_file_changed(
    eodag_env: StacServer, tmp_path: Path
) -> None:
    scene_id = eodag_env.matching[0]
    tif, _ = _asset_paths(eodag_env, scene_id)
    staging = tmp_path / f".{scene_id}.part"
    staging.mkdir()
    name = eodag_env.assets[scene_id].name
    (staging / f"{name}.part").write_bytes(b"x" * 1000)
    url = eodag_env.url + tif
    (staging / f"{name}.part.json").write_text(json.dumps({"url": url, "etag": '"old"'}))
    download_scenes([scene_id], tmp_path, eodag_env.provider, policy=ONCE)
    # If-Range did not match, so the server sent the whole file and it replaced the stale bytes.
    assert eodag_env.faults.ranges == [(tif, "bytes=1000-")]
    assert (tmp_path / scene_id / name).read_bytes() == eodag_env.assets[scene_id].read_bytes()


def test_server_errors_mid_transfer_are_retried(eodag_env: StacServer, tmp_path: Path) -> None:
    scene_id = eodag_env.matching[0]
    tif, _ = _asset_paths(eodag_env, scene_id)
    eodag_env.faults.fail[tif] = 2
    results = download_scenes([scene_id], tmp_path, eodag_env.provider, policy=FAST)
    assert results[0].status == "downloaded"
    assert eodag_env.faults.gets[tif] == 3
    assert (tmp_path / scene_id / eodag_env.assets[scene_id].name).read_bytes() == (
        eodag_env.assets[scene_id].read_bytes()
    )


def test_persistent_server_errors_fail_without_a_final_folder(
    eodag_env: StacServer, tmp_path: Path
) -> None:
    scene_id = eodag_env.matching[0]
    tif, _ = _asset_paths(eodag_env, scene_id)
    eodag_env.faults.fail[tif] = 1000
    with pytest.raises(FetchError, match=r"download failed after 3 attempt\(s\): HTTP 503"):
        download_scenes([scene_id], tmp_path, eodag_env.provider, policy=FAST)
    assert eodag_env.faults.gets[tif] == 3
    assert not (tmp_path / scene_id).exists()


def test_refused_credentials_fail_at_once(eodag_env: StacServer, tmp_path: Path) -> None:
    scene_id = eodag_env.matching[0]
    tif, _ = _asset_paths(eodag_env, scene_id)
    eodag_env.faults.status[tif] = 401
    with pytest.raises(FetchAuthError, match="HTTP 401"):
        download_scenes([scene_id], tmp_path, eodag_env.provider, policy=FAST)
    assert eodag_env.faults.gets[tif] == 1
    assert not (tmp_path / scene_id).exists()


def test_unknown_scene_is_not_found(eodag_env: StacServer, tmp_path: Path) -> None:
    missing = "S1A_IW_GRDH_1SDV_20210101T000000_20210101T000025_035000_041000_FFFF"
    with pytest.raises(SceneNotFoundError, match=f"{missing}: no such scene on local_stac"):
        download_scenes([missing], tmp_path, eodag_env.provider, policy=FAST)
    assert not (tmp_path / missing).exists()


def test_asset_filter_fetches_only_matching_files(eodag_env: StacServer, tmp_path: Path) -> None:
    scene_id = eodag_env.matching[1]
    download_scenes([scene_id], tmp_path, eodag_env.provider, asset="^vv$", policy=FAST)
    assert [p.name for p in (tmp_path / scene_id).iterdir()] == [eodag_env.assets[scene_id].name]
    with pytest.raises(SceneNotFoundError, match="no asset matches 'nothing'"):
        download_scenes([eodag_env.matching[0]], tmp_path, eodag_env.provider, asset="nothing",
                        policy=FAST)


def test_partial_file_metadata_is_replaced_atomically(
    eodag_env: StacServer, tmp_path: Path
) -> None:
    """The .part.json validator is never rewritten in place (a crash could truncate it)."""
    _, second = eodag_env.matching
    tif, _ = _asset_paths(eodag_env, second)
    eodag_env.faults.drop_after[tif] = 50_000
    with pytest.raises(FetchError):
        download_scenes([second], tmp_path, eodag_env.provider, policy=ONCE)
    staging = tmp_path / f".{second}.part"
    meta = staging / (eodag_env.assets[second].name + ".part.json")
    before = meta.read_text()
    assert json.loads(before)["url"].endswith(tif)
    witness = tmp_path / "witness.json"
    witness.hardlink_to(meta)  # shares the inode: an in-place write would change it too

    eodag_env.reset()
    eodag_env.faults.drop_after[tif] = 120_000
    with pytest.raises(FetchError):
        download_scenes([second], tmp_path, eodag_env.provider, policy=ONCE)
    assert witness.read_text() == before
    assert witness.stat().st_ino != meta.stat().st_ino  # a new file was renamed over it
    assert json.loads(meta.read_text())["url"].endswith(tif)
    assert not [p for p in staging.iterdir() if ".tmp-" in p.name]
