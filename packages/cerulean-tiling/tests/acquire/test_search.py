"""Scene search through eodag against a static STAC catalogue served on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.acquire.scene_list import read_scene_list
from cerulean_tiling.acquire.search import (
    record_from_product,
    search_scenes,
    write_scenes,
)
from cerulean_tiling.errors import FetchError, SceneReadError
from cerulean_tiling.scenes.sceneid import parse_scene_id

pytest.importorskip("eodag")
pytest.importorskip("pystac")

if TYPE_CHECKING:
    from tests.support.stac import StacServer

PROVIDER = "local_stac"

BBOX = (10.0, 40.0, 11.0, 41.0)
START, END = datetime(2020, 8, 1, tzinfo=UTC), datetime(2020, 8, 3, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, backoff=0.0, timeout=5.0)


def test_search_keeps_iw_vv_grd_scenes_in_area_and_time(eodag_env: StacServer) -> None:
    records = search_scenes(BBOX, START, END, provider=PROVIDER, policy=FAST)
    assert sorted(r.scene_id for r in records) == sorted(eodag_env.matching)
    assert [r.start for r in records] == sorted(r.start for r in records)
    for record in records:
        parsed = parse_scene_id(record.scene_id)
        assert record.provider == PROVIDER
        assert record.start == parsed.start and record.stop == parsed.stop
        assert record.absolute_orbit == parsed.absolute_orbit
        assert record.relative_orbit == 117
        assert record.mode == "IW" and "VV" in record.polarisations
        assert record.orbit_direction == (
            "descending" if record.scene_id.startswith("S1B") else "ascending"
        )
        assert record.footprint["type"] == "Polygon"


def test_search_stops_at_max_results(eodag_env: StacServer) -> None:
    assert len(search_scenes(BBOX, START, END, PROVIDER, max_results=1, policy=FAST)) == 1


def test_search_rejects_empty_area_and_unknown_provider(eodag_env: StacServer) -> None:
    with pytest.raises(ValueError, match="bbox"):
        search_scenes((11.0, 40.0, 10.0, 41.0), START, END, PROVIDER, policy=FAST)
    with pytest.raises(ValueError, match="not after"):
        search_scenes(BBOX, END, START, PROVIDER, policy=FAST)
    with pytest.raises(FetchError, match=f"known: {PROVIDER}"):
        search_scenes(BBOX, START, END, "no_such_provider", policy=FAST)


def test_catalogue_faults_are_retried_then_reported(eodag_env: StacServer) -> None:
    eodag_env.faults.fail["/catalog.json"] = 1
    assert len(search_scenes(BBOX, START, END, PROVIDER, policy=FAST)) == len(eodag_env.matching)
    assert eodag_env.faults.gets["/catalog.json"] >= 2

    eodag_env.faults.fail["/catalog.json"] = 1000
    with pytest.raises(FetchError) as caught:
        search_scenes(BBOX, START, END, PROVIDER, policy=FAST)
    assert "\n" not in str(caught.value)
    assert "searching S1_SAR_GRD on local_stac" in str(caught.value)


def test_scene_list_is_rfc7946_and_reads_back(eodag_env: StacServer, tmp_path: Path) -> None:
    records = search_scenes(BBOX, START, END, PROVIDER, policy=FAST)
    out = tmp_path / "lists" / "scenes.geojson"
    out.parent.mkdir()
    write_scenes(records, out)
    assert [p.name for p in out.parent.iterdir()] == ["scenes.geojson"]
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection"
    for feature in doc["features"]:
        ring = feature["geometry"]["coordinates"][0]
        # RFC 7946 §3.1.6: exterior rings are counter-clockwise (positive shoelace area).
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
        assert area > 0
        props = feature["properties"]
        assert props["scene_id"] == feature["id"]
        assert {"start_time", "stop_time", "relative_orbit", "absolute_orbit",
                "orbit_direction", "polarisations", "provider"} <= set(props)
    assert [(s.scene_id, s.provider) for s in read_scene_list(out)] == [
        (r.scene_id, PROVIDER) for r in records
    ]


def test_read_scene_list_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [{"properties": {}}]}))
    with pytest.raises(SceneReadError, match=r"bad.geojson: feature 1 has no properties\.scene_id"):
        read_scene_list(bad)


def test_missing_metadata_falls_back_to_the_product_id() -> None:
    shapely_geometry = pytest.importorskip("shapely.geometry")
    scene_id = "S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5"
    # A provider answer carrying nothing but the id and a clockwise footprint.
    product = SimpleNamespace(
        properties={"id": scene_id + ".SAFE"},
        provider="bare",
        geometry=shapely_geometry.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)]),
    )
    record = record_from_product(product)
    assert record is not None
    parsed = parse_scene_id(scene_id)
    assert record.scene_id == scene_id
    assert (record.start, record.stop, record.mode) == (parsed.start, parsed.stop, "IW")
    assert record.polarisations == ("VV", "VH")
    assert record.absolute_orbit == 33729
    ring = record.footprint["coordinates"][0]
    assert sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) > 0


def test_relative_orbit_follows_the_175_orbit_repeat_cycle() -> None:
    shapely_geometry = pytest.importorskip("shapely.geometry")

    def relative(platform: str, absolute: int) -> int | None:
        scene_id = (
            f"{platform}_IW_GRDH_1SDV_20200802T141646_20200802T141711_{absolute:06d}_03E8C7_E4F5"
        )
        product = SimpleNamespace(
            properties={"id": scene_id}, provider="p", geometry=shapely_geometry.box(0, 0, 1, 1)
        )
        record = record_from_product(product)
        assert record is not None
        return record.relative_orbit

    for platform in ("S1A", "S1B"):
        tracks = [relative(platform, a) for a in range(30000, 30000 + 176)]
        assert all(t is not None and 1 <= t <= 175 for t in tracks)
        assert tracks[175] == tracks[0]  # 175 orbits make one 12-day repeat cycle
        assert len(set(tracks[:175])) == 175
    # No published offset for later platforms: unknown rather than wrong.
    assert relative("S1C", 1000) is None
