"""S3 on 127.0.0.1: a moto server, and moto behind a recording proxy that acts like S3.

``moto_endpoint`` is a plain moto server (tests/infra applies terraform against it).
``s3_server`` puts a proxy in front of one: it records every request (method, path,
requester-pays header), refuses requests on requester-pays buckets that lack
``x-amz-request-payer: requester`` with 403 (moto serves them), and answers 503 to the
requests a test names in ``traffic.fail``, so retries, resumption and auth errors are
exercised over real boto3 and GDAL HTTP traffic. Both are started once per test module
that asks for them.
"""

from __future__ import annotations

import http.client
import http.server
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REQUESTER_PAYS_BUCKET = "s1-grd-requester-pays"
# Hop-by-hop and framing headers: the proxy reads whole bodies and frames its own.
_SKIP = ("transfer-encoding", "content-length", "connection", "expect")


@dataclass
class S3Traffic:
    """What the proxy saw, and what it should refuse or fail."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, payer
    requester_pays: set[str] = field(default_factory=set)  # buckets that demand the header
    fail: dict[tuple[str, str], int] = field(default_factory=dict)  # (method, in path) -> 503s

    def count(self, method: str, part: str = "") -> int:
        """How many ``method`` requests had ``part`` in their path."""
        return sum(1 for m, p, _ in self.requests if m == method and part in p)


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards to moto; records requests; refuses and fails as ``traffic`` says."""

    protocol_version = "HTTP/1.1"
    traffic: S3Traffic
    upstream: tuple[str, int]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b""
        while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
            data += self.rfile.read(size + 2)[:size]
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
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
                self._reply(503, b"<Error><Code>SlowDown</Code><Message>injected</Message>"
                                 b"</Error>", {"Content-Type": "application/xml"})
                return
        bucket = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        if bucket in self.traffic.requester_pays and payer != "requester":
            self._reply(403, b"<Error><Code>AccessDenied</Code><Message>requester pays"
                             b"</Message></Error>", {"Content-Type": "application/xml"})
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out = {k: v for k, v in response.getheaders() if k.lower() not in _SKIP}
        if self.command == "HEAD" and response.getheader("Content-Length"):
            out["Content-Length"] = str(response.getheader("Content-Length"))
        conn.close()
        self._reply(response.status, data, out)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815 (http.server names)


@dataclass
class S3Server:
    """moto behind the proxy; ``url`` is what clients use as their endpoint."""

    url: str
    traffic: S3Traffic
    requester_pays_bucket: str = REQUESTER_PAYS_BUCKET

    def client(self) -> Any:
        """A boto3 client for setting up fixtures (pass ``RequestPayer`` where needed)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, stopped when the module's tests end."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def _s3_site(moto_endpoint: str) -> Iterator[S3Server]:
    pytest.importorskip("boto3")
    host, _, port = moto_endpoint.removeprefix("http://").partition(":")
    traffic = S3Traffic()
    handler = type("Proxy", (_Proxy,), {"traffic": traffic, "upstream": (host, int(port))})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield S3Server(f"http://127.0.0.1:{proxy.server_port}", traffic)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


@pytest.fixture
def s3_server(_s3_site: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The S3 endpoint with fresh traffic, and AWS settings pointing boto3 (and GDAL) at it.

    Buckets persist between the tests of a module: a test creates or empties its own.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", _s3_site.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fresh = S3Traffic()
    for name in vars(fresh):
        setattr(_s3_site.traffic, name, getattr(fresh, name))
    return _s3_site
