"""Fixtures for the annotation page's browser tests.

Three real HTTP servers on 127.0.0.1, so three origins: the page (annotation-ui/ with a
test config.json), the data host (scene folders, overlays and the manifest built by the
real ``cerulean-tiling annotation-manifest``; CORS enabled, as Photopea needs), and the
Photopea stand-in (photopea_standin/, which POSTs every configuration and script it
receives back to its server). The browser is Debian's headless Chromium driven by
playwright; every request it makes is recorded and must go to one of the three origins.
"""

from __future__ import annotations

import json
import mimetypes
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from PIL import Image

from cerulean_tiling.cli import main as tiling_main

REPO = Path(__file__).resolve().parents[2]
PAGE_DIR = REPO / "annotation-ui"
STANDIN_DIR = Path(__file__).resolve().parent / "photopea_standin"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

SCENE_A = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"
SCENE_B = "S1B_IW_GRDH_1SDV_20210115T052311_20210115T052336_025137_02FE1A_9B2C"
SIZE = (96, 64)
TIMEOUT_MS = 20000


@dataclass
class Site:
    """A static HTTP server on 127.0.0.1 that logs every request it answers."""

    routes: dict[str, Path]
    overrides: dict[str, bytes] = field(default_factory=dict)
    cors: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""

    def start(self) -> Callable[[], None]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                if site.cors:
                    self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                site.requests.append(("GET", path))
                if path in site.overrides:
                    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    self._send(200, site.overrides[path], kind)
                    return
                target = site.resolve(path)
                if target is None:
                    self._send(404, b"not found", "text/plain")
                    return
                kind = "text/javascript" if target.suffix == ".js" else (
                    mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                )
                self._send(200, target.read_bytes(), kind)

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                site.requests.append(("POST", path))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if path != "/__record":
                    self._send(404, b"not found", "text/plain")
                    return
                site.records.append(json.loads(body))
                self._send(204, b"", "text/plain")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return stop

    def resolve(self, path: str) -> Path | None:
        for prefix, root in self.routes.items():
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix):] or "index.html"
            target = (root / rel).resolve()
            if target.is_relative_to(root.resolve()) and target.is_file():
                return target
        return None

    def scripts(self) -> list[str]:
        return [r["data"] for r in self.records if r["kind"] == "script"]

    def of_kind(self, kind: str) -> list[Any]:
        return [r["data"] for r in self.records if r["kind"] == kind]


@dataclass
class Servers:
    page: Site
    data: Site
    photopea: Site
    scene_root: Path
    manifest: dict[str, Any]
    scene_a: str = SCENE_A
    scene_b: str = SCENE_B
    size: tuple[int, int] = SIZE

    @property
    def origins(self) -> set[str]:
        return {self.page.origin, self.data.origin, self.photopea.origin}


def _background(width: int, height: int) -> Image.Image:
    """A gray VV-like ramp with a darker band (a slick to paint over)."""
    y, x = np.mgrid[0:height, 0:width]
    values = 60 + (120 * x / width) - 40 * (np.abs(y - x * height / width) < 6)
    return Image.fromarray(values.astype(np.uint8), mode="L")


def make_scene_root(root: Path) -> Path:
    """Two scene folders (one with gcps.json, one in a class folder with a space)."""
    for class_folder, scene_id in (("Infra", SCENE_A), ("Recent Vessel", SCENE_B)):
        folder = root / class_folder / scene_id
        folder.mkdir(parents=True)
        _background(*SIZE).save(folder / "Background.png")
    (root / "Infra" / SCENE_A / "gcps.json").write_text(json.dumps({
        "crs": "EPSG:4326", "width": SIZE[0] * 4, "height": SIZE[1] * 4,
        "gcps": [{"row": float(r), "col": float(c), "x": 56.0 + c / 1e3, "y": 24.5 - r / 1e3,
                  "z": 0.0} for r in (0, SIZE[1] * 4) for c in (0, SIZE[0] * 4)],
    }))
    overlays = root / "overlays"
    overlays.mkdir()
    for scene_id in (SCENE_A, SCENE_B):
        mask = np.zeros((SIZE[1], SIZE[0], 4), np.uint8)
        mask[10:14, :] = (255, 128, 0, 255)
        Image.fromarray(mask, mode="RGBA").save(overlays / f"{scene_id}_infra.png")
    return root


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    base = tmp_path_factory.mktemp("annotation-ui")
    root = make_scene_root(base / "scenes")
    data = Site(routes={"/scenes/": root, "/": base / "served"}, cors=True)
    (base / "served").mkdir()
    photopea = Site(routes={"/": STANDIN_DIR})
    page = Site(routes={"/": PAGE_DIR})
    stops = [site.start() for site in (data, photopea, page)]
    try:
        manifest_path = base / "served" / "manifest.json"
        code = tiling_main([
            "annotation-manifest", str(root), "-o", str(manifest_path),
            "--base-url", f"{data.origin}/scenes/",
            "--overlay", "infrastructure=overlays/{scene_id}_infra.png",
        ])
        assert code == 0
        page.overrides["/config.json"] = json.dumps({
            "photopeaOrigin": photopea.origin,
            "manifest": f"{data.origin}/manifest.json",
        }).encode()
        yield Servers(page, data, photopea, root, json.loads(manifest_path.read_text()))
    finally:
        for stop in stops:
            stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)")
    # Where Chromium is installed, playwright must be too (the workspace installs it).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (its --user-data-dir).
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class AnnotationPage:
    """The page under test, with helpers that act like an annotator."""

    def __init__(self, page: Any, servers: Servers, requested: list[str]) -> None:
        self.page = page
        self.servers = servers
        self.requested = requested

    def load(self, query: str = "") -> None:
        self.page.goto(f"{self.servers.page.origin}/index.html{query}")
        self.page.wait_for_function("document.body.dataset.ready", timeout=TIMEOUT_MS)

    def wait_idle(self) -> None:
        self.page.wait_for_function(
            "!document.querySelector('#check').disabled", timeout=TIMEOUT_MS
        )

    def open_scene(self, scene_id: str) -> None:
        self.page.locator(f".scene[title='{scene_id}']").click()
        self.page.wait_for_function(
            "document.querySelector('.scene[aria-current=true]') !== null",
            timeout=TIMEOUT_MS,
        )
        self.wait_idle()

    def click_class(self, name: str) -> None:
        self.page.locator(f".class-button[data-class-name='{name}']").click()
        self.wait_idle()

    @property
    def frame(self) -> Any:
        frames = [f for f in self.page.frames if f.url.startswith(self.servers.photopea.origin)]
        assert len(frames) == 1, [f.url for f in self.page.frames]
        return frames[0]

    def editor(self) -> dict[str, Any]:
        """The stand-in's document: size, layers (top first), brush colour."""
        return self.frame.evaluate("window.standin.state()")  # type: ignore[no-any-return]

    def paint(self, layer: str, x: float, y: float, radius: float,
              colour: tuple[int, int, int] | None = None) -> None:
        self.frame.evaluate(
            "([l, x, y, r, c]) => window.standin.paint(l, x, y, r, c)",
            [layer, x, y, radius, list(colour) if colour else None],
        )

    def warnings(self) -> dict[str, list[str]]:
        """Layer name → warning texts shown by the layer check."""
        out: dict[str, list[str]] = {}
        for item in self.page.locator("#warnings li[data-layer]").all():
            name = item.get_attribute("data-layer")
            text = item.inner_text()
            out.setdefault(name, []).append(text.split(": ", 1)[1])
        return out


@pytest.fixture
def ui(browser: Any, servers: Servers) -> Iterator[AnnotationPage]:
    """A fresh browser context (empty storage) on the page; checks every request's origin."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    def guard(route: Any) -> None:
        if _allowed(route.request.url, servers.origins):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    servers.photopea.records.clear()
    try:
        yield AnnotationPage(page, servers, requested)
    finally:
        context.close()
    outside = [url for url in requested if not _allowed(url, servers.origins)]
    assert not outside, f"requests outside the configured origins: {outside}"
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not servers.photopea.of_kind("error"), servers.photopea.of_kind("error")


def _allowed(url: str, origins: set[str]) -> bool:
    if url.startswith("blob:"):
        url = url[len("blob:"):]
    if url.startswith("data:"):
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" in origins


@pytest.fixture
def unzip(tmp_path: Path) -> Callable[[Path], Path]:
    def _unzip(archive: Path) -> Path:
        target = tmp_path / "unzipped"
        shutil.unpack_archive(archive, target, "zip")
        return target

    return _unzip
