"""report.html in a real headless browser: it renders, every image loads, and the page
asks for nothing beyond its own file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cerulean_coco import CocoDataset
from cerulean_eval import EvalConfig, score_predictions, write_outputs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture(scope="module")
def report(dataset: CocoDataset, truth_results: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report with some misses: half the truth as raw tile instances (COCO results)."""
    results = json.loads(truth_results.read_text())[::2]
    for r in results:
        r["score"] = 0.8
    path = tmp_path_factory.mktemp("half") / "half.json"
    path.write_text(json.dumps(results))
    out = tmp_path_factory.mktemp("report") / "run"
    write_outputs(score_predictions(dataset, path, EvalConfig(examples=2, bootstrap=50)), out)
    return out / "report.html"


def test_report_leads_with_the_served_numbers(report: Path) -> None:
    page = report.read_text()
    assert page.index("pixel F1 (oil classes)") < page.index("Diagnostic: raw tile outputs")
    assert "95%: " in page and "maskrcnn-serving" in page
    assert "segm_ap" not in json.loads((report.parent / "metrics.json").read_text())["summary"]


def test_report_renders_offline_in_chromium(report: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api")
    requested: list[str] = []
    refused: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1200, "height": 900})
        try:
            context.route("**/*", guard)
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(report.as_uri(), wait_until="load")
            images = page.evaluate("""() => Array.from(document.images).map(i => ({
                alt: i.alt, complete: i.complete, width: i.naturalWidth,
                data: i.src.startsWith('data:image/png;base64,')}))""")
            headings = page.locator("h2").all_inner_texts()
            title = page.title()
            cards = page.locator(".card").count()
            tables = page.locator("table").count()
        finally:
            context.close()
    assert not errors, errors
    assert not refused, f"requests left the file: {refused}"
    assert all(url.startswith(("file://", "data:")) for url in requested), requested
    assert title.startswith("cerulean-eval")
    assert {"Slicks", "Pixels", "Scenes", "Slicks on the map", "Best and worst tiles",
            "Diagnostic: raw tile outputs", "Settings"} <= set(headings)
    pngs = sorted(report.parent.rglob("*.png"))
    assert len(images) == len(pngs) == 8 and all(i["complete"] and i["width"] > 0 and i["data"]
                                    for i in images), images
    assert cards >= 8 and tables >= 6
