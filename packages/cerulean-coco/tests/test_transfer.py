"""push/pull against a real S3 API: a moto server on 127.0.0.1 behind a recording proxy.

The proxy (below) forwards to moto, records every request (method, path, requester-pays
header), refuses requests on requester-pays buckets that lack the header (as S3 does),
and can answer 503 to chosen requests, so retries, resumption and checksum checks are
exercised over real boto3 HTTP traffic.
"""

from __future__ import annotations

import http.client
import http.server
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cerulean_coco.cli import main
from cerulean_coco.errors import RemoteNotFoundError, TransferAuthError, TransferError
from cerulean_coco.transfer import CHECKSUM_KEY, TransferSettings, pull, push
from cerulean_tiling import FileNameError

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "datasets"
PAYER_BUCKET = "datasets-requester-pays"
MIB = 1 << 20
# Small parts so that a 11 MiB file goes up in 3 parts (5 MiB is S3's minimum part size).
SETTINGS = TransferSettings(workers=3, part_size=5 * MIB, threshold=5 * MIB, attempts=3,
                            timeout=10.0)


@dataclass
class Traffic:
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    requester_pays: set[str] = field(default_factory=set)
    fail: dict[tuple[str, str], int] = field(default_factory=dict)  # (method, substring) -> n

    def count(self, method: str, part: str = "") -> int:
        return sum(1 for m, p, _ in self.requests if m == method and part in p)


class _Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    traffic: Traffic
    upstream: tuple[str, int]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b""
        while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
            data += self.rfile.read(size + 2)[:size]
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return data

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        length = headers.pop("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        payer = self.headers.get("x-amz-request-payer")
        self.traffic.requests.append((self.command, self.path, payer))
        for (method, part), left in list(self.traffic.fail.items()):
            if left > 0 and method == self.command and part in self.path:
                self.traffic.fail[(method, part)] = left - 1
                self._reply(503, b"<Error><Code>SlowDown</Code></Error>", {})
                return
        bucket = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        if bucket in self.traffic.requester_pays and payer != "requester":
            self._reply(403, b"<Error><Code>AccessDenied</Code></Error>", {})
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        skip = ("transfer-encoding", "content-length", "connection", "expect")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out = {k: v for k, v in response.getheaders() if k.lower() not in skip}
        if self.command == "HEAD" and response.getheader("Content-Length"):
            out["Content-Length"] = str(response.getheader("Content-Length"))
        conn.close()
        self._reply(response.status, data, out)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815 (http.server names)


@dataclass
class S3:
    url: str
    traffic: Traffic

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def _s3_site() -> Iterator[S3]:
    moto = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    traffic = Traffic()
    handler = type("Proxy", (_Proxy,), {"traffic": traffic, "upstream": moto.get_host_and_port()})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield S3(f"http://127.0.0.1:{proxy.server_port}", traffic)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
        moto.stop()


@pytest.fixture
def s3(_s3_site: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3:
    """Empty buckets, fresh counters, and AWS settings pointing boto3 at the proxy."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", _s3_site.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _s3_site.traffic.requester_pays.clear()
    _s3_site.traffic.fail.clear()
    client = _s3_site.client()
    for bucket in (BUCKET, PAYER_BUCKET):
        existing = {b["Name"] for b in client.list_buckets()["Buckets"]}
        if bucket in existing:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    client.delete_object(Bucket=bucket, Key=item["Key"])
        else:
            client.create_bucket(Bucket=bucket)
    _s3_site.traffic.requests.clear()
    return _s3_site


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


def test_push_then_pull_round_trips(s3: S3, dataset: Path, tmp_path: Path) -> None:
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


def test_rerun_transfers_only_what_changed(s3: S3, dataset: Path, tmp_path: Path) -> None:
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


def test_server_errors_mid_transfer_are_retried(s3: S3, dataset: Path, tmp_path: Path) -> None:
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
    s3: S3, dataset: Path, tmp_path: Path
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
    s3: S3, dataset: Path, tmp_path: Path
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


def test_requester_pays_bucket(s3: S3, dataset: Path, tmp_path: Path) -> None:
    s3.traffic.requester_pays.add(PAYER_BUCKET)
    with pytest.raises(TransferAuthError, match="access refused"):
        push(dataset, f"s3://{PAYER_BUCKET}/ds", SETTINGS)
    s3.traffic.requests.clear()
    paying = TransferSettings(**{**SETTINGS.__dict__, "requester_pays": True})
    push(dataset, f"s3://{PAYER_BUCKET}/ds", paying)
    pull(f"s3://{PAYER_BUCKET}/ds", tmp_path / "pulled", paying)
    assert s3.traffic.requests
    assert all(payer == "requester" for _, _, payer in s3.traffic.requests)


def test_missing_bucket_or_prefix(s3: S3, dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(RemoteNotFoundError):
        push(dataset, "s3://no-such-bucket/ds", SETTINGS)
    with pytest.raises(RemoteNotFoundError, match="no objects under this prefix"):
        pull(f"s3://{BUCKET}/nothing-here", tmp_path / "pulled", SETTINGS)
    with pytest.raises(TransferError, match="not an s3://bucket/key location"):
        pull("/local/path", tmp_path / "pulled", SETTINGS)


def test_cli_push_pull(s3: S3, dataset: Path, tmp_path: Path,
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
    s3: S3, dataset: Path, tmp_path: Path, bad_key: str
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


def test_cli_pull_names_the_bad_key(s3: S3, dataset: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    s3.client().put_object(Bucket=BUCKET, Key="ds/../../x.txt", Body=b"planted")
    code = main(["pull", f"s3://{BUCKET}/ds", str(tmp_path / "pulled"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"Error: s3://{BUCKET}/ds/../../x.txt: ")
    assert not (tmp_path / "pulled").exists() and not (tmp_path.parent / "x.txt").exists()


def test_push_never_follows_links_out_of_the_dataset(
    s3: S3, dataset: Path, tmp_path: Path
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


def test_push_names_a_file_name_that_is_not_utf8(s3: S3, dataset: Path) -> None:
    odd = os.fsencode(dataset / "tiles") + b"/tile_\xff.tif"
    with open(odd, "wb") as handle:
        handle.write(b"x")
    with pytest.raises(FileNameError, match=r"tile_\\xff\.tif: dataset file name is not valid"):
        push(dataset, f"s3://{BUCKET}/odd", SETTINGS)
    assert s3.traffic.count("PUT") == 0
