"""push/pull against a real S3 API: a moto server on 127.0.0.1 behind a recording proxy.

The proxy (the workspace's ``s3_server``, tests/support/s3.py) forwards to moto, records
every request (method, path, requester-pays header), refuses requests on requester-pays
buckets that lack the header (as S3 does), and can answer 503 to chosen requests, so
retries, resumption and checksum checks are exercised over real boto3 HTTP traffic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from cerulean_coco.cli import main
from cerulean_coco.errors import RemoteNotFoundError, TransferAuthError, TransferError
from cerulean_coco.transfer import CHECKSUM_KEY, TransferSettings, pull, push
from cerulean_tiling.errors import FileNameError

pytest.importorskip("boto3")
pytest.importorskip("moto.server")

if TYPE_CHECKING:
    from tests.support.s3 import S3Server

BUCKET = "datasets"
PAYER_BUCKET = "datasets-requester-pays"
MIB = 1 << 20
# Small parts so that a 11 MiB file goes up in 3 parts (5 MiB is S3's minimum part size).
SETTINGS = TransferSettings(workers=3, part_size=5 * MIB, threshold=5 * MIB, attempts=3,
                            timeout=10.0)


@pytest.fixture
def s3(s3_server: S3Server) -> S3Server:
    """The workspace's S3 (tests/support/s3.py) with this file's buckets, empty."""
    client = s3_server.client()
    for bucket in (BUCKET, PAYER_BUCKET):
        existing = {b["Name"] for b in client.list_buckets()["Buckets"]}
        if bucket in existing:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    client.delete_object(Bucket=bucket, Key=item["Key"])
        else:
            client.create_bucket(Bucket=bucket)
    s3_server.traffic.requests.clear()
    return s3_server


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A dataset-shaped folder: index files, small tiles, one multipart-sized file."""
    root = tmp_path / "dataset"
    (root / "tiles").mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in range(6):
        (root / "tiles" / f"tile_{i}.tif").write_bytes(rng.bytes(20_000 + i))
    (root / "tiles" / "big.bin").write_bytes(rng.bytes(11 * MIB))
    (root / "annotations.json").write_text('{"images": [], "annotations": []}\n')
    (root / "manifest.json").write_text('{"scenes": {}}\n')
    (root / ".annotations.json.tmp-abc").write_text("half-written, never pushed")
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")
    }


def test_push_then_pull_round_trips(s3: S3Server, dataset: Path, tmp_path: Path) -> None:
    report = push(dataset, f"s3://{BUCKET}/runs/v1", SETTINGS)
    assert len(report.transferred) == 9 and report.skipped == ()
    assert s3.traffic.count("PUT", "partNumber=") == 3  # big.bin: 5 + 5 + 1 MiB parts
    puts = [p for m, p, _ in s3.traffic.requests if m == "PUT" and "partNumber" not in p]
    # The index files go last (together), after every tile.
    assert {p.rsplit("/", 1)[1] for p in puts[-2:]} == {"annotations.json", "manifest.json"}
    head = s3.client().head_object(Bucket=BUCKET, Key="runs/v1/tiles/big.bin")
    assert len(head["Metadata"][CHECKSUM_KEY]) == 64
    assert not any(".tmp-" in p for _, p, _ in s3.traffic.requests)

    out = tmp_path / "pulled"
    pulled = pull(f"s3://{BUCKET}/runs/v1", out, SETTINGS)
    assert sorted(pulled.transferred) == sorted(_files(dataset))
    assert _files(out) == _files(dataset)
    assert s3.traffic.count("GET", "partNumber=") + s3.traffic.count("GET", "big.bin") >= 1


def test_rerun_transfers_only_what_changed(s3: S3Server, dataset: Path, tmp_path: Path) -> None:
    push(dataset, f"s3://{BUCKET}/ds", SETTINGS)
    out = tmp_path / "pulled"
    pull(f"s3://{BUCKET}/ds", out, SETTINGS)
    s3.traffic.requests.clear()
    again = push(dataset, f"s3://{BUCKET}/ds", SETTINGS)
    assert again.transferred == () and len(again.skipped) == 9
    assert s3.traffic.count("PUT") == 0 and s3.traffic.count("POST") == 0

    (dataset / "tiles" / "tile_2.tif").write_bytes(b"edited")
    changed = push(dataset, f"s3://{BUCKET}/ds", SETTINGS)
    assert changed.transferred == ("tiles/tile_2.tif",)
    s3.traffic.requests.clear()
    refreshed = pull(f"s3://{BUCKET}/ds", out, SETTINGS)
    assert refreshed.transferred == ("tiles/tile_2.tif",)
    assert s3.traffic.count("GET", "tile_") == 1 and s3.traffic.count("GET", "big.bin") == 0
    assert _files(out) == _files(dataset)


def test_server_errors_mid_transfer_are_retried(s3: S3Server, dataset: Path,
                                                tmp_path: Path) -> None:
    s3.traffic.fail[("PUT", "partNumber=2")] = 2  # the second part of big.bin fails twice
    s3.traffic.fail[("GET", "tile_3.tif")] = 1
    push(dataset, f"s3://{BUCKET}/retry", SETTINGS)
    assert s3.traffic.fail[("PUT", "partNumber=2")] == 0
    assert s3.traffic.count("PUT", "partNumber=2") == 3
    out = tmp_path / "pulled"
    pull(f"s3://{BUCKET}/retry", out, SETTINGS)
    assert s3.traffic.fail[("GET", "tile_3.tif")] == 0
    assert _files(out) == _files(dataset)


def test_interrupted_pull_resumes_without_refetching(
    s3: S3Server, dataset: Path, tmp_path: Path
) -> None:
    push(dataset, f"s3://{BUCKET}/resume", SETTINGS)
    s3.traffic.fail[("GET", "tile_4.tif")] = 1000  # persistent: this run cannot finish
    out = tmp_path / "pulled"
    with pytest.raises(TransferError) as caught:
        pull(f"s3://{BUCKET}/resume", out, SETTINGS)
    assert "tile_4.tif" in str(caught.value) and "\n" not in str(caught.value)
    assert not (out / "tiles" / "tile_4.tif").exists()
    assert not (out / "annotations.json").exists()  # index files only after all data
    complete = {p.name for p in (out / "tiles").iterdir() if not p.name.endswith(".part")}
    assert complete  # the other tiles arrived

    s3.traffic.fail.clear()
    s3.traffic.requests.clear()
    pull(f"s3://{BUCKET}/resume", out, SETTINGS)
    for name in complete:
        assert s3.traffic.count("GET", f"/{name}") == 0, name  # not transferred again
    assert _files(out) == _files(dataset)


def test_pull_rejects_bytes_that_do_not_match_the_checksum(
    s3: S3Server, dataset: Path, tmp_path: Path
) -> None:
    push(dataset, f"s3://{BUCKET}/tampered", SETTINGS)
    key = "tampered/tiles/tile_1.tif"
    meta = s3.client().head_object(Bucket=BUCKET, Key=key)["Metadata"]
    s3.client().put_object(Bucket=BUCKET, Key=key, Body=b"y" * 20_001, Metadata=meta)
    out = tmp_path / "pulled"
    with pytest.raises(TransferError, match="do not match the object's SHA-256"):
        pull(f"s3://{BUCKET}/tampered", out, SETTINGS)
    assert not (out / "tiles" / "tile_1.tif").exists()
    assert not (out / "tiles" / "tile_1.tif.part").exists()


def test_requester_pays_bucket(s3: S3Server, dataset: Path, tmp_path: Path) -> None:
    s3.traffic.requester_pays.add(PAYER_BUCKET)
    with pytest.raises(TransferAuthError, match="access refused"):
        push(dataset, f"s3://{PAYER_BUCKET}/ds", SETTINGS)
    s3.traffic.requests.clear()
    paying = TransferSettings(**{**SETTINGS.__dict__, "requester_pays": True})
    push(dataset, f"s3://{PAYER_BUCKET}/ds", paying)
    pull(f"s3://{PAYER_BUCKET}/ds", tmp_path / "pulled", paying)
    assert s3.traffic.requests
    assert all(payer == "requester" for _, _, payer in s3.traffic.requests)


def test_missing_bucket_or_prefix(s3: S3Server, dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(RemoteNotFoundError):
        push(dataset, "s3://no-such-bucket/ds", SETTINGS)
    with pytest.raises(RemoteNotFoundError, match="no objects under this prefix"):
        pull(f"s3://{BUCKET}/nothing-here", tmp_path / "pulled", SETTINGS)
    with pytest.raises(TransferError, match="not an s3://bucket/key location"):
        pull("/local/path", tmp_path / "pulled", SETTINGS)


def test_cli_push_pull(s3: S3Server, dataset: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--part-size", "5", "--workers", "2", "--no-progress"]
    assert main(["push", str(dataset), f"s3://{BUCKET}/cli", *flags]) == 0
    assert "9 file(s) uploaded" in capsys.readouterr().out
    assert main(["pull", f"s3://{BUCKET}/cli", str(tmp_path / "pulled"), *flags]) == 0
    assert "9 file(s) downloaded" in capsys.readouterr().out
    assert main(["pull", f"s3://{BUCKET}/cli", str(tmp_path / "pulled"), *flags]) == 0
    assert "0 file(s) downloaded (0 bytes), 9 already up to date" in capsys.readouterr().out
    assert main(["pull", "s3://no-such-bucket/x", str(tmp_path / "p2"), *flags]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: s3://no-such-bucket/") and err.count("\n") == 1


@pytest.mark.parametrize(
    "bad_key",
    ["ds/../../x.txt", "ds/tiles/../../../x.txt", "ds//x.txt", "ds/tiles\\..\\..\\x.txt",
     "ds/./x.txt", "ds/tiles//x.txt", "ds/.."],
)
def test_pull_refuses_keys_leading_outside_the_folder(
    s3: S3Server, dataset: Path, tmp_path: Path, bad_key: str
) -> None:
    push(dataset, f"s3://{BUCKET}/ds", SETTINGS)
    s3.client().put_object(Bucket=BUCKET, Key=bad_key, Body=b"planted")
    listed = [o["Key"] for o in s3.client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert bad_key in listed  # the store keeps the key as written
    s3.traffic.requests.clear()
    out = tmp_path / "deep" / "er" / "pulled"
    with pytest.raises(TransferError) as caught:
        pull(f"s3://{BUCKET}/ds", out, SETTINGS)
    message = str(caught.value)
    assert bad_key in message and "outside the destination" in message and "\n" not in message
    assert s3.traffic.count("GET", "x-id=GetObject") == 0 and s3.traffic.count("HEAD") == 0
    assert not out.exists()
    assert not [p for p in tmp_path.rglob("x.txt")] and not (tmp_path / "deep" / "x.txt").exists()


def test_cli_pull_names_the_bad_key(s3: S3Server, dataset: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    s3.client().put_object(Bucket=BUCKET, Key="ds/../../x.txt", Body=b"planted")
    code = main(["pull", f"s3://{BUCKET}/ds", str(tmp_path / "pulled"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"Error: s3://{BUCKET}/ds/../../x.txt: ")
    assert not (tmp_path / "pulled").exists() and not (tmp_path.parent / "x.txt").exists()


def test_push_never_follows_links_out_of_the_dataset(
    s3: S3Server, dataset: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the dataset")
    (dataset / "tiles" / "inside.tif").symlink_to(dataset / "tiles" / "tile_0.tif")
    link = dataset / "tiles" / "leak.tif"
    link.symlink_to(secret)
    with pytest.raises(TransferError, match="leak.tif: is a symbolic link out of the dataset"):
        push(dataset, f"s3://{BUCKET}/links", SETTINGS)
    assert s3.traffic.count("PUT") == 0
    link.unlink()
    (dataset / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(TransferError, match="elsewhere: is a symbolic link to a folder"):
        push(dataset, f"s3://{BUCKET}/links", SETTINGS)
    assert s3.traffic.count("PUT") == 0
    (dataset / "elsewhere").unlink()
    report = push(dataset, f"s3://{BUCKET}/links", SETTINGS)
    assert "tiles/inside.tif" in report.transferred  # a link within the dataset is its content
    body = s3.client().get_object(Bucket=BUCKET, Key="links/tiles/inside.tif")["Body"].read()
    assert body == (dataset / "tiles" / "tile_0.tif").read_bytes()


def test_push_names_a_file_name_that_is_not_utf8(s3: S3Server, dataset: Path) -> None:
    odd = os.fsencode(dataset / "tiles") + b"/tile_\xff.tif"
    with open(odd, "wb") as handle:
        handle.write(b"x")
    with pytest.raises(FileNameError, match=r"tile_\\xff\.tif: dataset file name is not valid"):
        push(dataset, f"s3://{BUCKET}/odd", SETTINGS)
    assert s3.traffic.count("PUT") == 0
