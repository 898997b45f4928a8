"""Fixtures.

- Small synthetic scenes written by cerulean_tiling.synthetic.scenes, and the CLI the
  workspace conftest's ``run_cli`` runs.
- Scene fetching (search/download/S3), with real servers on 127.0.0.1 only:
  ``stac_server`` is a static STAC catalogue (built with pystac; items whose assets are
  real GeoTIFFs carrying GCPs) behind an HTTP server that supports ranges and can be
  told to fail (5xx answers, connections dropped mid-body) to exercise retries/resume;
  ``eodag_env`` configures eodag with that catalogue as its only provider, its config
  dir in a temp folder and collection discovery off, so it never goes online;
  ``s3_server`` is a moto S3 server behind a recording proxy that, like S3, refuses
  requests on requester-pays buckets that lack ``x-amz-request-payer: requester``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.server
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cerulean_tiling.cli import main
from cerulean_tiling.synthetic.scenes import SyntheticScene, write_scenes


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SyntheticScene]]:
    """Three small synthetic scenes (one per scene kind), written once per session."""
    root = tmp_path_factory.mktemp("synthetic")
    scenes = write_scenes(root, n=3, seed=11, size=(900, 640), layers=4)
    return root, scenes


@pytest.fixture
def scene_copy(synthetic_root: tuple[Path, list[SyntheticScene]], tmp_path: Path) -> Path:
    """A private, writable copy of the first synthetic scene folder (for breaking it)."""
    source = synthetic_root[1][0].path
    target = tmp_path / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


@pytest.fixture
def cli_main() -> Callable[[list[str]], int]:
    """The CLI the workspace conftest's ``run_cli`` runs: cerulean-tiling's."""
    return main


# --- Scene fetching: STAC catalogue + eodag -------------------------------------------

PROVIDER = "local_stac"
STAC_COLLECTION = "sentinel-1-grd"
# In the bbox (10, 40, 11, 41) during 2020-08-02, IW, VV+VH: the scenes a search must find.
MATCHING = (
    "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5",
    "S1B_IW_GRDH_1SSV_20200802T052105_20200802T052130_022736_02B267_1A2B",
)
# Each fails one criterion: EW mode, HH only, outside the bbox, outside the dates.
NOT_MATCHING = (
    "S1A_EW_GRDM_1SDV_20200802T141646_20200802T141711_033729_03E8C7_AAAA",
    "S1A_IW_GRDH_1SDH_20200802T141646_20200802T141711_033729_03E8C7_BBBB",
    "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C8_CCCC",
    "S1A_IW_GRDH_1SDV_20200720T141646_20200720T141711_033554_03E2C7_DDDD",
)
GRD_SIZE = (240, 320)  # height, width of the fixture GRD GeoTIFFs


def write_grd(path: Path, west: float, south: float, seed: int) -> None:
    """A small GRD-like GeoTIFF: uint16 noise with a 4x4 grid of GCPs over a 1° square."""
    import rasterio
    from rasterio.control import GroundControlPoint

    height, width = GRD_SIZE
    gcps = [
        GroundControlPoint(row=r, col=c, x=west + c / width, y=south + 1 - r / height, z=0.0)
        for r in np.linspace(0, height, 4)
        for c in np.linspace(0, width, 4)
    ]
    data = np.random.default_rng(seed).integers(0, 4000, (1, height, width), dtype=np.uint16)
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint16",
        gcps=gcps, crs="EPSG:4326",
    ) as dst:
        dst.write(data)


def build_catalogue(root: Path, base_url: str) -> dict[str, Path]:
    """Write a static STAC catalogue under ``root``, published at ``base_url``.

    Asset hrefs are absolute URLs (as STAC APIs give them). Returns the GRD path per scene.
    """
    pystac = pytest.importorskip("pystac")
    catalog = pystac.Catalog(id="s1-test", description="Sentinel-1 GRD fixtures")
    collection = pystac.Collection(
        id=STAC_COLLECTION,
        description="Sentinel-1 GRD",
        extent=pystac.Extent(
            pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
            pystac.TemporalExtent([[dt.datetime(2014, 4, 3, tzinfo=dt.UTC), None]]),
        ),
    )
    catalog.add_child(collection)
    assets: dict[str, Path] = {}
    for seed, scene_id in enumerate(MATCHING + NOT_MATCHING):
        west = 12.5 if scene_id.endswith("CCCC") else 10.2
        start = dt.datetime.strptime(scene_id[17:32], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
        stop = dt.datetime.strptime(scene_id[33:48], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
        ring = [[west, 40.2], [west + 1, 40.2], [west + 1, 41.2], [west, 41.2], [west, 40.2]]
        pol = scene_id[14:16]
        item = pystac.Item(
            id=scene_id,
            geometry={"type": "Polygon", "coordinates": [ring]},
            bbox=[west, 40.2, west + 1, 41.2],
            datetime=None,
            properties={
                "start_datetime": start.isoformat().replace("+00:00", "Z"),
                "end_datetime": stop.isoformat().replace("+00:00", "Z"),
                "platform": "sentinel-" + scene_id[1:3].lower(),
                "sar:instrument_mode": scene_id[4:6],
                "sar:polarizations": {"DV": ["VV", "VH"], "SV": ["VV"], "DH": ["HH", "HV"]}[pol],
                "sat:orbit_state": "descending" if scene_id.startswith("S1B") else "ascending",
                "sat:absolute_orbit": int(scene_id[49:55]),
                "sat:relative_orbit": 117,
            },
        )
        folder = root / STAC_COLLECTION / scene_id
        folder.mkdir(parents=True)
        tif = folder / f"{scene_id.lower()}-vv.tiff"
        write_grd(tif, west, 40.2, seed)
        xml = folder / "manifest.safe"
        xml.write_text(f"<manifest id='{scene_id}'/>\n")
        url = f"{base_url}/{STAC_COLLECTION}/{scene_id}"
        item.add_asset("vv", pystac.Asset(
            href=f"{url}/{tif.name}", media_type=pystac.MediaType.GEOTIFF, roles=["data"]
        ))
        item.add_asset("safe-manifest", pystac.Asset(
            href=f"{url}/{xml.name}", media_type="application/xml", roles=["metadata"]
        ))
        collection.add_item(item)
        assets[scene_id] = tif
    catalog.normalize_hrefs(str(root))
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return assets


@dataclass
class Faults:
    """Misbehaviour to inject, per URL path; counters of what was served."""

    fail: dict[str, int] = field(default_factory=dict)  # path -> 5xx answers still to give
    drop_after: dict[str, int] = field(default_factory=dict)  # path -> bytes, then cut
    status: dict[str, int] = field(default_factory=dict)  # path -> fixed status (e.g. 401)
    gets: Counter[str] = field(default_factory=Counter)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    bytes_sent: Counter[str] = field(default_factory=Counter)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with ETag, ``Range`` and ``If-Range`` support, plus injected faults."""

    faults: Faults

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.faults.gets[path] += 1
        if path in self.faults.status:
            self.send_error(self.faults.status[path])
            return
        if self.faults.fail.get(path, 0) > 0:
            self.faults.fail[path] -= 1
            self.send_error(503, "injected failure")
            return
        file = Path(self.translate_path(path))
        if not file.is_file():
            self.send_error(404)
            return
        data = file.read_bytes()
        stat = file.stat()
        etag = f'"{stat.st_size}-{stat.st_mtime_ns}"'
        start = 0
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if wanted:
            self.faults.ranges.append((path, wanted))
        if wanted and (if_range is None or if_range == etag):
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("Content-Type", self.guess_type(str(file)))
        self.end_headers()
        cut = self.faults.drop_after.pop(path, None)
        if cut is not None:
            body = body[:cut]
            self.close_connection = True
        self.wfile.write(body)
        self.faults.bytes_sent[path] += len(body)


@dataclass
class StacServer:
    """A running catalogue server."""

    root: Path
    url: str
    assets: dict[str, Path]
    faults: Faults
    provider: str = PROVIDER
    matching: tuple[str, ...] = MATCHING
    not_matching: tuple[str, ...] = NOT_MATCHING

    def path_of(self, file: Path) -> str:
        """The URL path under which ``file`` is served."""
        return "/" + file.relative_to(self.root).as_posix()


    def reset(self) -> None:
        """Forget faults and counters (between tests sharing the server)."""
        fresh = Faults()
        for name in vars(fresh):
            setattr(self.faults, name, getattr(fresh, name))


@pytest.fixture(scope="module")
def _stac_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StacServer]:
    root = tmp_path_factory.mktemp("stac")
    faults = Faults()
    handler = type("Handler", (_Handler,), {"faults": faults})

    def make(*args: Any) -> _Handler:
        return handler(*args, directory=str(root))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        yield StacServer(root, url, build_catalogue(root, url), faults)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def stac_server(_stac_site: StacServer) -> StacServer:
    """The fixture catalogue served on 127.0.0.1, with no faults and zeroed counters."""
    _stac_site.reset()
    return _stac_site


@pytest.fixture
def eodag_env(
    stac_server: StacServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> StacServer:
    """eodag set up with the fixture catalogue as its only provider (offline)."""
    pytest.importorskip("eodag")
    providers = tmp_path / "eodag-providers"
    providers.mkdir()
    (providers / f"{PROVIDER}.yml").write_text(
        f"{PROVIDER}:\n"
        "  priority: 1\n"
        "  description: fixture catalogue on 127.0.0.1\n"
        "  search:\n"
        "    type: StaticStacSearch\n"
        f"    api_endpoint: {stac_server.url}/catalog.json\n"
        "    timeout: 5\n"
        "  products:\n"
        "    S1_SAR_GRD:\n"
        f"      _collection: {STAC_COLLECTION}\n"
        "  download:\n"
        "    type: HTTPDownload\n"
    )
    ext = tmp_path / "ext_collections.json"
    ext.write_text("{}")
    monkeypatch.setenv("EODAG_CFG_DIR", str(tmp_path / "eodag-cfg"))
    monkeypatch.setenv("EODAG_PROVIDERS_CFG_DIR", str(providers))
    monkeypatch.setenv("EODAG_EXT_COLLECTIONS_CFG_URI", str(ext))
    monkeypatch.setenv("EODAG_STRICT_COLLECTIONS", "true")
    return stac_server


# --- S3: a moto server behind a recording proxy that enforces requester-pays -------------

REQUESTER_PAYS_BUCKET = "s1-grd-requester-pays"


@dataclass
class S3Traffic:
    """What the proxy saw and what it should do."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, payer
    requester_pays: set[str] = field(default_factory=set)  # buckets that demand the header
    fail: dict[str, int] = field(default_factory=dict)  # "METHOD path-prefix" -> 5xx to give


class _S3Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards to moto; records requests; answers 403 like S3 when requester-pays is missing."""

    protocol_version = "HTTP/1.1"
    traffic: S3Traffic
    upstream: tuple[str, int]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                chunk = self.rfile.read(size + 2)[:size]
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += chunk
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        import http.client

        body = self._body()
        payer = self.headers.get("x-amz-request-payer")
        self.traffic.requests.append((self.command, self.path, payer))
        bucket = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        for rule, remaining in list(self.traffic.fail.items()):
            method, _, prefix = rule.partition(" ")
            if remaining > 0 and method == self.command and self.path.startswith(prefix):
                self.traffic.fail[rule] = remaining - 1
                self._reply(503, b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>")
                return
        if bucket in self.traffic.requester_pays and payer != "requester":
            self._reply(403, b"<Error><Code>AccessDenied</Code><Message>requester pays"
                             b"</Message></Error>", {"Content-Type": "application/xml"})
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("transfer-encoding", "content-length", "connection")}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out = {k: v for k, v in response.getheaders()
               if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        out["Content-Length"] = response.getheader("Content-Length") or str(len(data))
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
        """A boto3 client for setting up fixtures (sends requester-pays where needed)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def _s3_site() -> Iterator[S3Server]:
    pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    moto = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    traffic = S3Traffic()
    handler = type("Proxy", (_S3Proxy,), {"traffic": traffic,
                                          "upstream": moto.get_host_and_port()})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield S3Server(f"http://127.0.0.1:{proxy.server_port}", traffic)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
        moto.stop()


@pytest.fixture
def s3_server(
    _s3_site: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> S3Server:
    """The S3 endpoint, with AWS settings pointing boto3 (and GDAL, via remote.py) at it."""
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


@pytest.fixture
def grd_tiff(tmp_path: Path) -> Path:
    """A small GRD-like GeoTIFF with 16 GCPs (EPSG:4326) over 10–11°E, 40–41°N."""
    path = tmp_path / "grd.tiff"
    write_grd(path, 10.0, 40.0, seed=7)
    return path
