"""A static STAC catalogue on 127.0.0.1, and eodag configured to search it offline.

``stac_server`` serves a catalogue built with pystac: Sentinel-1 GRD items (``MATCHING``
fit one search, each of ``NOT_MATCHING`` fails one criterion) whose assets are small real
GeoTIFFs carrying GCPs. The HTTP server supports ranges and can be told to fail (5xx
answers, connections dropped mid-body, fixed statuses) to exercise retries and resumed
downloads. ``eodag_env`` configures eodag with that catalogue as its only provider, its
config dir in a temp folder and collection discovery off, so it never goes online.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cerulean_tiling import GCPSet

from .grd import write_grd

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


def write_noise_grd(path: Path, west: float, south: float, seed: int) -> None:
    """A small GRD-like GeoTIFF: uint16 noise with a 4×4 grid of GCPs over the 1° square
    whose south-west corner is (``west``, ``south``); each scene of the catalogue has its
    own place and bytes."""
    height, width = GRD_SIZE
    rows, cols = (a.ravel() for a in np.meshgrid(np.linspace(0, height, 4),
                                                 np.linspace(0, width, 4), indexing="ij"))
    gcps = GCPSet(rows, cols, west + cols / width, south + 1 - rows / height, width, height,
                  "STAC fixture")
    noise = np.random.default_rng(seed).integers(0, 4000, (height, width), dtype=np.uint16)
    write_grd(path, noise, gcps)


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
        write_noise_grd(tif, west, 40.2, seed)
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
