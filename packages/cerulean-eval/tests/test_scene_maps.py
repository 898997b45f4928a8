"""Scene maps: a constructed scene with one hit, one miss and one false slick, drawn and
read back pixel by pixel; the report embeds the map it wrote."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from shapely.geometry import MultiPolygon, box

from cerulean_coco import Category, ImageRecord
from cerulean_eval import EvalConfig, TileTruth, TruthInstance, dataset_classes, write_outputs
from cerulean_eval.document import DataRecord, SourceRecord
from cerulean_eval.evaluation import Evaluation
from cerulean_eval.outputs import map_file
from cerulean_eval.scene_maps import (
    SERVED_FALSE,
    SERVED_MATCHED,
    SERVED_NOT_OIL,
    STYLES,
    TRUE_FOUND,
    TRUE_MISSED,
    MapKeeper,
    SceneMap,
    map_box,
    vv_mosaic,
)
from cerulean_eval.truth import truth_raster
from cerulean_infer import Slick

RES = 0.001
SIZE = 100
SCENE = "S1A_IW_GRDH_1SDV_20210105T050000_20210105T050025_036000_043000_ABCD"
CLASSES = dataset_classes([Category(1, "infra_slick"), Category(2, "natural_seep")])


def _tile(col: int, masks: list[np.ndarray]) -> TileTruth:
    """A SIZE² tile at column ``col`` of a RES° grid (north edge at lat 0.1), VV 120."""
    bounds = (col * SIZE * RES, 0.0, (col + 1) * SIZE * RES, SIZE * RES)
    image = ImageRecord(col + 1, f"tiles/t{col}.tif", SIZE, SIZE, SCENE, "c", "tms",
                        (12, col, 0), bounds, ("vv",))
    truth = tuple(TruthInstance(1, m, 10 * col + n, int(m.sum())) for n, m in enumerate(masks))
    return TileTruth(image, truth, truth_raster(truth, (SIZE, SIZE)),
                     np.full((SIZE, SIZE), 120, np.uint8))


def _square(col: int, r0: int, c0: int, side: int = 20) -> tuple[np.ndarray, MultiPolygon]:
    """A square of tile ``col`` at pixel (r0, c0): its mask and its lon/lat polygon."""
    mask = np.zeros((SIZE, SIZE), bool)
    mask[r0:r0 + side, c0:c0 + side] = True
    west, north = (col * SIZE + c0) * RES, SIZE * RES - r0 * RES
    return mask, MultiPolygon([box(west, north - side * RES, west + side * RES, north)])


Written = tuple[Path, dict[str, MultiPolygon], SceneMap]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """An evaluation of one scene of two tiles: a hit (west tile, top left), a miss (east
    tile, bottom right) and a false slick (west tile, bottom right), written out."""
    hit_mask, hit = _square(0, 10, 10)
    miss_mask, miss = _square(1, 60, 60)
    _, false = _square(0, 60, 60)
    tiles = [_tile(0, [hit_mask]), _tile(1, [miss_mask])]
    served = [Slick(hit, 1, "infra_slick", 0.9, 0.9, 0.9, 0.9),
              Slick(false, 1, "infra_slick", 0.8, 0.8, 0.8, 0.8)]
    evaluation = Evaluation(CLASSES, EvalConfig(bootstrap=0, diagnostic=False), "m")
    evaluation.add_scene(SCENE, tiles, served)
    result = evaluation.finish(SourceRecord("geojson", "constructed"),
                               DataRecord("constructed", "0" * 64, 2, {SCENE: {"tiles": 2}}),
                               None, None, {})
    assert (result.summary["slicks_found"], result.summary["slicks_missed"],
            result.summary["slicks_false"]) == (1, 1, 1)
    out = tmp_path_factory.mktemp("maps") / "run"
    write_outputs(result, out)
    return out, {"hit": hit, "miss": miss, "false": false}, result.maps[0]


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.uint8)


def _count(image: np.ndarray, colour: str, where: tuple[int, int, int, int]) -> int:
    """Pixels of exactly ``colour`` in the pixel box ``where`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = where
    return int((image[y0:y1, x0:x1, :3] == _rgb(colour)).all(axis=-1).sum())


def test_each_kind_of_slick_is_drawn_in_its_colour_where_it_lies(written: Written) -> None:
    out, slicks, drawn = written
    image = np.asarray(Image.open(out / map_file(SCENE)).convert("RGB"))
    # The two tiles side by side at full resolution: 200 × 100 pixels, west 0°, north 0.1°.
    assert drawn.image.shape == (SIZE, 2 * SIZE)
    assert drawn.bounds == pytest.approx((0, 0, 0.2, 0.1))
    x0, y0, x1, y1 = map_box(drawn)
    assert (x1 - x0, y1 - y0) == (2 * SIZE, SIZE)

    def around(name: str) -> tuple[int, int, int, int]:
        west, south, east, north = slicks[name].bounds
        pad = 4
        return (x0 + round(west / RES) - pad, y0 + round((0.1 - north) / RES) - pad,
                x0 + round(east / RES) + pad, y0 + round((0.1 - south) / RES) + pad)

    expected = {"hit": {TRUE_FOUND, SERVED_MATCHED}, "miss": {TRUE_MISSED},
                "false": {SERVED_FALSE}}
    for name, styles in expected.items():
        for style in (TRUE_FOUND, TRUE_MISSED, SERVED_MATCHED, SERVED_FALSE):
            n = _count(image, style.colour, around(name))
            if style in styles:
                assert n > 20, (name, style.label, n)
            else:
                assert n == 0, (name, style.label, n)
    # Between the slicks the map is the VV grey (120) and nothing else.
    assert (image[y0 + 50, x0 + 40:x0 + 55] == 120).all()


def test_the_report_embeds_the_map_it_wrote(written: Written) -> None:
    out, _, drawn = written
    page = (out / "report.html").read_text()
    png = (out / map_file(SCENE)).read_bytes()
    assert "<h2>Slicks on the map</h2>" in page and "all 1 scenes" in page
    assert f'alt="map of {SCENE}"' in page
    assert base64.b64encode(png).decode("ascii") in page
    assert drawn.counts == {s.label: 1 if s is not SERVED_NOT_OIL else 0 for s in STYLES}


def test_a_large_scene_is_reduced_by_block_means_of_its_data() -> None:
    tiles = [_tile(c, []) for c in range(8)]
    for n, tile in enumerate(tiles):
        tile.vv[:, :] = 10 * (n + 1)
    tiles[0].vv[:50, :] = 0
    mosaic, bounds = vv_mosaic(tiles, max_pixels=300)
    # 800 × 100 pixels by blocks of 3: 267 × 34, the last block row and column padded.
    assert mosaic.shape == (34, 267)
    assert bounds == pytest.approx((0, 0.1 - 34 * 3 * RES, 267 * 3 * RES, 0.1))
    # Nodata is left out of a block's mean: the half-empty tile keeps its value.
    assert mosaic[0, 0] == 0 and mosaic[20, 0] == 10 and mosaic[20, 34] == 20
    assert mosaic[20, 33] == round((10 * 1 + 20 * 2) / 3)


def test_only_the_most_telling_scenes_are_kept() -> None:
    keeper = MapKeeper(2)
    made: list[str] = []

    def make(name: str) -> SceneMap:
        made.append(name)
        return SceneMap(name, np.zeros((1, 1), np.uint8), (0, 0, 1, 1), (), {})

    for name, interest in (("a", 1), ("b", 5), ("c", 5), ("d", 0), ("e", 6)):
        keeper.offer(name, lambda n=name: make(n), interest)  # type: ignore[misc]
    assert keeper.seen == ["a", "b", "c", "d", "e"]
    # "d" could never make the cut and was never drawn; "a" was, then dropped.
    assert made == ["a", "b", "c", "e"]
    # The two with most slicks, in the order they came; of equals, the earlier.
    assert [m.scene_id for m in keeper.maps] == ["b", "e"]
