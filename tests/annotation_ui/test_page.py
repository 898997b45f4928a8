"""The annotators' page in headless Chromium, against the Photopea stand-in.

Every test also checks (in the ``ui`` fixture) that the browser requested nothing
outside the page, data and Photopea origins, that the page threw no uncaught error,
and that every script the page sent ran in the stand-in without error.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from cerulean_tiling.classes import CLASSES, by_name, class_in_filename
from cerulean_tiling.scenes.folder import discover_scenes, open_scene
from cerulean_tiling.scenes.layers import decode_layer

if TYPE_CHECKING:
    from conftest import AnnotationPage, Servers

REPO = Path(__file__).resolve().parents[2]
PAGE_DIR = REPO / "annotation-ui"
ARTIFACTS = REPO / "test-artifacts"


def test_shipped_config_points_at_photopea() -> None:
    config = json.loads((PAGE_DIR / "config.json").read_text())
    assert config["photopeaOrigin"] == "https://www.photopea.com"


def test_palette_is_the_class_table(ui: AnnotationPage) -> None:
    ui.load()
    buttons = ui.page.locator(".class-button").all()
    shown = [
        (int(b.get_attribute("data-class-id")), b.get_attribute("data-class-name"),
         tuple(int(v) for v in b.get_attribute("data-colour").split(",")))
        for b in buttons
    ]
    assert shown == [(c.id, c.name, c.colour) for c in CLASSES]
    # The swatch the annotator sees is painted in that colour too.
    swatches = [
        b.locator(".swatch").evaluate("e => getComputedStyle(e).backgroundColor") for b in buttons
    ]
    assert swatches == [f"rgb({r}, {g}, {b})" for r, g, b in (c.colour for c in CLASSES)]
    # Every shortcut is listed on the page.
    listed = ui.page.locator("#shortcuts dt").all_inner_texts()
    assert [str(c.id) for c in CLASSES] + ["K", "E", "[", "]"] == listed
    assert all(b.get_attribute("aria-keyshortcuts") == str(c.id) for b, c in zip(
        buttons, CLASSES, strict=True))


def test_scene_list_comes_from_the_manifest(ui: AnnotationPage, servers: Servers) -> None:
    ui.load()
    titles = ui.page.locator(".scene").evaluate_all("bs => bs.map(b => b.title)")
    expected = [ui.servers.scene_a, ui.servers.scene_b]
    assert titles == [s["scene_id"] for s in servers.manifest["scenes"]] == expected
    assert ui.page.locator("#summary").inner_text() == "0 of 2 scenes exported"
    assert ui.page.locator(".scene .when").first.inner_text() == "S1A 2020-08-02 14:16:46 UTC"
    # Nothing is opened, so nothing can be painted yet.
    assert ui.page.locator(".class-button").first.is_disabled()


def test_opening_a_scene_sends_the_open_commands(ui: AnnotationPage, servers: Servers) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_b)

    (scene,) = [s for s in servers.manifest["scenes"] if s["scene_id"] == ui.servers.scene_b]
    background = f"{servers.data.origin}/scenes/Recent%20Vessel/{ui.servers.scene_b}/Background.png"
    overlay = f"{servers.data.origin}/scenes/overlays/{ui.servers.scene_b}_infra.png"
    assert scene["background"] == background
    # Photopea is started with the background as its file...
    (config,) = servers.photopea.of_kind("config")
    assert config["files"] == [background]
    # ...and the overlay is placed into that document as a layer.
    scripts = servers.photopea.scripts()
    assert any(f'app.open("{overlay}", null, true);' in s for s in scripts)
    assert not any("app.open" in s and background in s for s in scripts)
    editor = ui.editor()
    assert editor["documents"] == 1
    assert (editor["width"], editor["height"]) == servers.size
    assert [(layer["name"], layer["opacity"]) for layer in editor["layers"]] == [
        ("overlay: infrastructure", 60),
        ("Background", 100),
    ]
    assert ("GET", f"/scenes/overlays/{ui.servers.scene_b}_infra.png") in servers.data.requests
    assert ui.page.locator(".scene[aria-current=true]").get_attribute("title") == ui.servers.scene_b
    assert ui.page.locator(".scene[aria-current=true]").get_attribute("data-state") == "opened"


def test_each_class_button_makes_its_layer_and_colour(ui: AnnotationPage) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    for cls in CLASSES:
        ui.click_class(cls.name)
        editor = ui.editor()
        assert editor["layers"][0]["name"] == f"{cls.name}_1"
        assert tuple(editor["foreground"]) == cls.colour
    ui.click_class("infra_slick")
    assert ui.editor()["layers"][0]["name"] == "infra_slick_2"
    status = ui.page.locator("#status").inner_text()
    assert "infra_slick_2" in status


def test_keyboard_shortcuts_pick_classes(ui: AnnotationPage) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    ui.page.locator("h1").click()  # focus on the page, not in Photopea
    for key, expected in (("2", "natural_seep_1"), ("5", "old_vessel_1"), ("2", "natural_seep_2")):
        ui.page.keyboard.press(key)
        ui.wait_idle()
        editor = ui.editor()
        assert editor["layers"][0]["name"] == expected
        assert tuple(editor["foreground"]) == by_name(expected.rsplit("_", 1)[0]).colour


def test_a_stray_done_does_not_end_a_script(ui: AnnotationPage) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    for name in ("infra_slick", "natural_seep"):
        ui.frame.evaluate("window.standin.strayDoneNext()")
        ui.click_class(name)
        assert ui.page.locator("#status").inner_text().startswith(f"New layer {name}_1:")
    assert [layer["name"] for layer in ui.editor()["layers"][:2]] == [
        "natural_seep_1", "infra_slick_1"
    ]


def test_numbering_continues_after_layers_made_elsewhere(ui: AnnotationPage) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    ui.frame.evaluate("window.standin.addLayer('recent_vessel_4')")
    ui.click_class("recent_vessel")
    assert ui.editor()["layers"][0]["name"] == "recent_vessel_5"


def _paint_instances(ui: AnnotationPage) -> None:
    ui.click_class("infra_slick")
    ui.paint("infra_slick_1", 20, 20, 7.5)
    ui.click_class("natural_seep")
    ui.paint("natural_seep_1", 60, 40, 9.3)
    ui.click_class("infra_slick")
    ui.paint("infra_slick_2", 80, 15, 5.5)


def test_export_is_a_scene_folder_the_tiler_reads(
    ui: AnnotationPage, servers: Servers, unzip: Callable[[Path], Path], tmp_path: Path
) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    _paint_instances(ui)
    ARTIFACTS.mkdir(exist_ok=True)
    ui.page.screenshot(path=str(ARTIFACTS / "annotation-ui.png"))
    before = ui.editor()["layers"]

    with ui.page.expect_download() as download_info:
        ui.page.locator("#export").click()
    download = download_info.value
    assert download.suggested_filename == f"{ui.servers.scene_a}.zip"
    archive = tmp_path / download.suggested_filename
    download.save_as(archive)
    ui.wait_idle()

    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None  # every CRC-32 matches
        names = sorted(zf.namelist())
    folder = f"Infra/{ui.servers.scene_a}"
    assert names == sorted(
        f"{folder}/{n}"
        for n in ("Background.png", "gcps.json", "infra_slick_1.png", "infra_slick_2.png",
                  "natural_seep_1.png")
    )
    root = unzip(archive)
    original = servers.scene_root / "Infra" / ui.servers.scene_a
    for name in ("Background.png", "gcps.json"):
        assert (root / folder / name).read_bytes() == (original / name).read_bytes()

    (path,) = discover_scenes([root])
    scene = open_scene(path)
    assert (scene.scene_id.value, scene.class_folder) == (ui.servers.scene_a, "Infra")
    assert [p.name for p in scene.layers] == [
        "infra_slick_1.png", "infra_slick_2.png", "natural_seep_1.png"
    ]
    assert len(scene.gcps) == 4
    centres = {"infra_slick_1": (20, 20), "natural_seep_1": (60, 40), "infra_slick_2": (80, 15)}
    for index, layer in enumerate(scene.layers):
        cls = class_in_filename(layer.stem)
        assert cls is not None and layer.stem.startswith(cls.name)
        rgba = np.asarray(Image.open(layer).convert("RGBA"))
        assert rgba.shape == (servers.size[1], servers.size[0], 4)
        painted = rgba[..., 3] > 0
        # The tiler reads the layer as one instance of its class, with every painted pixel.
        decoded, report = decode_layer(layer, index, servers.size)
        assert decoded is not None and decoded.class_id == cls.id
        assert report.warnings == () and report.pixels == painted.sum()
        # Only the stroke: its class colour everywhere, soft (partial alpha) edges.
        assert (rgba[painted][:, :3] == cls.colour).all()
        assert ((rgba[..., 3] > 0) & (rgba[..., 3] < 255)).any()
        x, y = centres[layer.stem]
        assert rgba[y, x, 3] == 255
        assert not painted[0, 0] and not painted[-1, -1]
    # Export leaves the annotator's layers as they were (visibility restored).
    assert ui.editor()["layers"] == before
    assert ui.page.locator(".scene[aria-current=true]").get_attribute("data-state") == "exported"
    assert ui.page.locator("#summary").inner_text() == "1 of 2 scenes exported"


def test_progress_survives_a_reload(ui: AnnotationPage, tmp_path: Path) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_b)
    ui.click_class("old_vessel")
    ui.paint("old_vessel_1", 30, 30, 6)
    with ui.page.expect_download():
        ui.page.locator("#export").click()
    ui.wait_idle()
    ui.load()
    states = ui.page.locator(".scene").evaluate_all(
        "bs => bs.map(b => [b.title, b.dataset.state, b.querySelector('.badge').textContent])"
    )
    assert states == [
        [ui.servers.scene_a, "new", "new"],
        [ui.servers.scene_b, "exported", "exported · 1 layer"],
    ]


def test_layer_check_warns_about_colours_names_and_empty_layers(
    ui: AnnotationPage, tmp_path: Path
) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    ui.click_class("infra_slick")
    ui.paint("infra_slick_1", 20, 20, 7)
    # The annotator picked a gray in Photopea's colour picker before painting.
    ui.click_class("natural_seep")
    ui.frame.evaluate("window.standin.setForeground([128, 128, 128])")
    ui.paint("natural_seep_1", 50, 30, 8)
    # Painted with the green brush in a layer named for vessels.
    ui.click_class("coincident_vessel")
    ui.paint("coincident_vessel_1", 70, 40, 8, colour=(0, 255, 0))
    # Mostly red, but a large patch of another colour.
    ui.click_class("coincident_vessel")
    ui.paint("coincident_vessel_2", 40, 50, 6)
    ui.paint("coincident_vessel_2", 12, 50, 4, colour=(200, 30, 30))
    # A layer made in Photopea's UI, and a class layer never painted.
    ui.frame.evaluate("window.standin.addLayer('Layer 9')")
    ui.paint("Layer 9", 80, 10, 5, colour=(255, 0, 0))
    ui.click_class("recent_vessel")
    ui.frame.evaluate("window.standin.addLayer('Layer 10')")  # empty: not reported

    ui.page.locator("#check").click()
    ui.wait_idle()
    warnings = ui.warnings()
    assert sorted(warnings) == [
        "Layer 9", "coincident_vessel_1", "coincident_vessel_2", "natural_seep_1",
        "recent_vessel_1",
    ]
    assert warnings["natural_seep_1"] == [
        "its pixels carry no class colour (was the brush colour changed?)"
    ]
    assert warnings["coincident_vessel_1"] == [
        "painted in the natural_seep colour, but named coincident_vessel"
    ]
    (patch,) = warnings["coincident_vessel_2"]
    assert patch.endswith("% of its pixels carry no class colour")
    assert warnings["Layer 9"] == ["not named <class>_<n>; it will not be exported"]
    assert warnings["recent_vessel_1"] == ["nothing painted; it will not be exported"]

    # Export asks first; declining exports nothing.
    dialogs: list[str] = []

    def answer(accept: bool) -> Callable[[Any], None]:
        def handle(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    ui.page.once("dialog", answer(False))
    ui.page.locator("#export").click()
    ui.wait_idle()
    assert dialogs == ["4 layer(s) have warnings (listed on the page). Export anyway?"]
    assert "cancelled" in ui.page.locator("#status").inner_text()

    ui.page.once("dialog", answer(True))
    with ui.page.expect_download() as download_info:
        ui.page.locator("#export").click()
    archive = tmp_path / "a.zip"
    download_info.value.save_as(archive)
    with zipfile.ZipFile(archive) as zf:
        layers = sorted(Path(n).name for n in zf.namelist())
    assert layers == [
        "Background.png", "coincident_vessel_1.png", "coincident_vessel_2.png",
        "gcps.json", "infra_slick_1.png", "natural_seep_1.png",
    ]


def test_switching_scenes_with_unexported_layers_asks(ui: AnnotationPage) -> None:
    ui.load()
    ui.open_scene(ui.servers.scene_a)
    ui.click_class("ambiguous")
    ui.page.once("dialog", lambda dialog: dialog.dismiss())
    ui.page.locator(f".scene[title='{ui.servers.scene_b}']").click()
    assert ui.page.locator(".scene[aria-current=true]").get_attribute("title") == ui.servers.scene_a
    assert ui.editor()["layers"][0]["name"] == "ambiguous_1"


def test_a_manifest_without_classes_is_refused(ui: AnnotationPage, servers: Servers) -> None:
    bad = dict(servers.manifest)
    del bad["classes"]
    servers.data.overrides["/no-classes.json"] = json.dumps(bad).encode()
    ui.load(f"?manifest={servers.data.origin}/no-classes.json")
    assert ui.page.evaluate("document.body.dataset.ready") == "error"
    status = ui.page.locator("#status").inner_text()
    assert status.startswith(f"{servers.data.origin}/no-classes.json: no class table")
    assert ui.page.locator(".class-button").count() == 0


def test_request_recording_sees_outside_requests(ui: AnnotationPage, servers: Servers) -> None:
    """The origin check of the ``ui`` fixture is live: an outside request is seen."""
    ui.load()
    seen: list[str] = []
    ui.page.on("request", lambda request: seen.append(request.url))
    probe = "http://127.0.0.2:9/probe"
    ui.page.evaluate(f"fetch('{probe}').then(() => 'reached', () => 'blocked')")
    assert probe in seen
    assert probe in ui.requested
    # The fixture would fail this test for the probe; it has served its purpose.
    ui.requested.remove(probe)
