"""GCPs straight from S3 (requester-pays) through rasterio/GDAL with a boto3 session.

S3 is a moto server on 127.0.0.1 behind a small proxy (tests/support/s3.py) that records every
request and, like S3, answers 403 to requests on a requester-pays bucket that lack
``x-amz-request-payer: requester``; so these tests see GDAL's and boto3's real traffic.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from cerulean_tiling.acquire.remote import is_remote, read_remote_gcps
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.acquire.s3 import split_s3
from cerulean_tiling.errors import FetchAuthError, FetchError, SceneNotFoundError
from cerulean_tiling.geo.gcps import read_gcps_from_raster
from cerulean_tiling.scenes.folder import open_scene

pytest.importorskip("boto3")
pytest.importorskip("moto")

if TYPE_CHECKING:
    from tests.support.s3 import S3Server

SCENE_ID = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"
FAST = RetryPolicy(attempts=3, backoff=0.0, timeout=5.0)


def _upload(s3: S3Server, grd: Path) -> str:
    """Put ``grd`` into the requester-pays bucket; return its s3:// location.

    Keys differ per test (GDAL caches what it read of a URL for the whole process).
    """
    bucket = s3.requester_pays_bucket
    client = s3.client()
    if bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=bucket)
        client.put_bucket_request_payment(
            Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"}
        )
    s3.traffic.requester_pays.add(bucket)
    key = f"grd/{grd.parent.name}/{SCENE_ID}.tiff"
    client.put_object(Bucket=bucket, Key=key, Body=grd.read_bytes(), RequestPayer="requester")
    s3.traffic.requests.clear()
    return f"s3://{bucket}/{key}"


def _same(a: object, b: object) -> None:
    for name in ("rows", "cols", "lon", "lat"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name))
    assert (a.width, a.height) == (b.width, b.height)  # type: ignore[attr-defined]


def test_gcps_from_requester_pays_bucket(s3_server: S3Server, grd_tiff: Path) -> None:
    location = _upload(s3_server, grd_tiff)
    gcps = read_remote_gcps(location, policy=FAST)
    _same(gcps, read_gcps_from_raster(grd_tiff))
    assert gcps.source == location
    methods = [method for method, _, _ in s3_server.traffic.requests]
    assert "HEAD" in methods and "GET" in methods  # boto3's check, then GDAL's range reads
    assert all(payer == "requester" for _, _, payer in s3_server.traffic.requests)


def test_without_requester_pays_the_bucket_refuses(s3_server: S3Server, grd_tiff: Path) -> None:
    location = _upload(s3_server, grd_tiff)
    with pytest.raises(FetchAuthError, match="credentials refused"):
        read_remote_gcps(location, requester_pays=False, policy=FAST)
    assert all(payer is None for _, _, payer in s3_server.traffic.requests)


def test_missing_object_is_not_found(s3_server: S3Server, grd_tiff: Path) -> None:
    location = _upload(s3_server, grd_tiff).replace(SCENE_ID, SCENE_ID[:-4] + "0000")
    with pytest.raises(SceneNotFoundError, match="no such object"):
        read_remote_gcps(location, policy=FAST)


def test_gdal_retries_server_errors(s3_server: S3Server, grd_tiff: Path) -> None:
    location = _upload(s3_server, grd_tiff)
    bucket, key = split_s3(location)
    s3_server.traffic.fail[("GET", f"/{bucket}/{key}")] = 2
    _same(read_remote_gcps(location, policy=FAST), read_gcps_from_raster(grd_tiff))
    assert s3_server.traffic.fail[("GET", f"/{bucket}/{key}")] == 0  # both failures were served


def test_unreachable_endpoint_is_a_fetch_error(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free now, and nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    policy = RetryPolicy(attempts=2, backoff=0.0, timeout=2.0)
    with pytest.raises(FetchError, match=r"S3 unreachable after 2 attempt\(s\)"):
        read_remote_gcps("s3://bucket/key.tiff", policy=policy)


def test_scene_folder_reads_gcps_from_s3_template(
    s3_server: S3Server, grd_tiff: Path, tmp_path: Path
) -> None:
    from PIL import Image

    location = _upload(s3_server, grd_tiff)
    folder = tmp_path / "infra_slick" / SCENE_ID
    folder.mkdir(parents=True)
    Image.fromarray(np.zeros((60, 80), dtype=np.uint8)).save(folder / "Background.png")
    template = location.replace(SCENE_ID, "{scene_id}")
    scene = open_scene(folder, gcps_from=template)
    _same(scene.gcps, read_gcps_from_raster(grd_tiff))
    assert all(payer == "requester" for _, _, payer in s3_server.traffic.requests)


def test_location_helpers() -> None:
    assert is_remote("s3://b/k") and is_remote("https://h/x.tif") and not is_remote("/data/x.tif")
    assert split_s3("s3://bucket/a/b.tiff") == ("bucket", "a/b.tiff")
    with pytest.raises(ValueError, match="not an s3://bucket/key"):
        split_s3("gs://bucket/key")
