"""The service's 2026 reclassification: LAND within 1 km of land, SEA_ICE on the ice mask."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box, mapping

from cerulean_infer import SceneError, Slick
from cerulean_infer.cli import main
from cerulean_infer.postprocess.polygons import as_multipolygon
from cerulean_infer.reclassify import (
    LAND,
    NOT_OIL,
    SEA_ICE,
    read_polygons,
    read_sea_ice,
    reclassify_slicks,
)
from cerulean_tiling import SyntheticScene, parse_scene_id

LAT = 60.0
M_LAT = 111_412.0  # metres per degree of latitude at 60° N
M_LON = 55_800.0   # metres per degree of longitude at 60° N
SCENE_ID = "S1A_IW_GRDH_1SDV_20210105T050000_20210105T050025_036000_043000_ABCD"


def _square(east_m: float, north_m: float, side_m: float = 300.0) -> Slick:
    """A slick ``side_m`` wide whose south-west corner is (east_m, north_m) from (10°, 60°)."""
    x0, y0 = 10.0 + east_m / M_LON, LAT + north_m / M_LAT
    shape = box(x0, y0, x0 + side_m / M_LON, y0 + side_m / M_LAT)
    return Slick(as_multipolygon(shape), 1, "infra_slick", 0.9, 0.9, 0.9, 0.95)


@pytest.fixture
def scene() -> dict[str, object]:
    """Four slicks: 500 m west of a coastline, 1.5 km west of it, on an ice floe, and in
    open water; the land is everything east of 10° + 5 km."""
    coast_m = 5_000.0
    land = box(10.0 + coast_m / M_LON, LAT - 0.5, 11.0, LAT + 0.5)
    slicks = [_square(coast_m - 800, 0), _square(coast_m - 1800, 0),
              _square(-20_000, 10_000), _square(-20_000, -10_000)]
    ice = box(10.0 - 21_000 / M_LON, LAT + 9_000 / M_LAT, 10.0 - 18_000 / M_LON,
              LAT + 12_000 / M_LAT)
    return {"land": land, "slicks": slicks, "ice": ice}


def _write_geojson(path: Path, geometries: list[object]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in geometries]}))
    return path


def test_near_land_and_on_ice_polygons(scene: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    ice = read_sea_ice(_write_geojson(tmp_path / "ice.geojson", [scene["ice"]]))
    out = reclassify_slicks(scene["slicks"], land=scene["land"], sea_ice=ice)
    assert [s.extra["stored_class"] for s in out] == [LAND, "infra_slick", SEA_ICE,
                                                       "infra_slick"]
    assert [s.extra["stored_parent"] for s in out] == [NOT_OIL, None, NOT_OIL, None]
    # The model's class and the geometry stay as they were.
    assert all(s.class_name == "infra_slick" and s.inf_idx == 1 for s in out)
    assert all(a.geometry.equals(b.geometry) for a, b in zip(out, scene["slicks"],
                                                              strict=True))
    # The distance is the rule's: at 2 km the second slick is near land too.
    wider = reclassify_slicks(scene["slicks"], land=scene["land"], land_distance_m=2000)
    assert [s.extra["stored_class"] for s in wider][:2] == [LAND, LAND]


def test_ice_raster_in_a_polar_crs_with_nodata(scene: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """An ice raster in polar stereographic metres: nonzero valid pixels are ice, nodata
    (here 255 over the open-water slick) is not."""
    from pyproj import Transformer

    to_polar = Transformer.from_crs("EPSG:4326", "EPSG:3413", always_xy=True)
    corners = [to_polar.transform(x, y) for x, y in
               [(9.3, 59.7), (10.3, 59.7), (9.3, 60.3), (10.3, 60.3)]]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    res = 500.0
    transform = from_origin(min(xs), max(ys), res, res)
    width, height = int((max(xs) - min(xs)) / res) + 1, int((max(ys) - min(ys)) / res) + 1
    values = np.zeros((height, width), dtype=np.uint8)

    def paint(geometry: object, value: int) -> None:
        from rasterio.features import rasterize
        from rasterio.warp import transform_geom

        polar = transform_geom("EPSG:4326", "EPSG:3413", mapping(geometry))
        values[rasterize([polar], out_shape=values.shape, transform=transform,
                         all_touched=True).astype(bool)] = value

    paint(scene["ice"], 80)          # 80 % ice concentration
    paint(scene["slicks"][3].geometry.buffer(0.01), 255)  # missing data over open water
    path = tmp_path / f"ice_{SCENE_ID[17:25]}.tif"
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="uint8", crs="EPSG:3413", transform=transform,
                       nodata=255) as dst:
        dst.write(values, 1)
    ice = read_sea_ice(tmp_path / "ice_{date}.tif", parse_scene_id(SCENE_ID))
    assert ice.raster == path
    out = reclassify_slicks(scene["slicks"], sea_ice=ice)
    assert [s.extra["stored_class"] for s in out] == ["infra_slick", "infra_slick", SEA_ICE,
                                                       "infra_slick"]


def test_bad_ice_and_land_files(tmp_path: Path) -> None:
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="uint8") as dst:
        dst.write(np.ones((4, 4), dtype=np.uint8), 1)
    with pytest.raises(SceneError, match="has no CRS"):
        read_sea_ice(nocrs)
    points = _write_geojson(tmp_path / "points.geojson", [box(0, 0, 1, 1).centroid])
    with pytest.raises(SceneError, match="holds no polygon .found Point"):
        read_polygons(points, "land mask")
    for content, says in ((None, r"cannot read land mask \(No such file"),
                          ("{", "land mask is not valid JSON"),
                          ('{"type": "Topology"}', "land mask is not a GeoJSON FeatureCollection"),
                          ('{"type": "Polygon", "coordinates": 3}', "not a GeoJSON geometry")):
        land = tmp_path / "land.geojson"
        if content is not None:
            land.write_text(content)
        with pytest.raises(SceneError, match=says) as caught:
            read_polygons(land, "land mask")
        assert str(caught.value).startswith(f"{land}: ") and "\n" not in str(caught.value)
    with pytest.raises(SceneError, match="scene's date"):
        read_sea_ice(tmp_path / "ice_{date}.tif")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_land_and_ice_on_a_predicted_scene(dark_bundle: Path,
                                           small_scenes: list[SyntheticScene],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Land drawn 500 m from one predicted slick, ice over another: the GeoJSON stores
    LAND and SEA_ICE for those two and the model's class for the rest."""
    from shapely.geometry import shape

    scene = small_scenes[0].path
    plain = tmp_path / "plain.geojson"
    code, _, err = _run(["predict", str(scene), "--bundle", str(dark_bundle), "-o",
                         str(plain), "--no-progress"], capsys)
    assert code == 0, err
    features = json.loads(plain.read_text())["features"]
    assert len(features) >= 3
    shapes = [shape(f["geometry"]) for f in features]
    near = max(range(len(shapes)), key=lambda i: shapes[i].bounds[2])  # the eastmost
    on_ice = next(i for i in range(len(shapes)) if i != near)
    _, south, east, north = shapes[near].bounds
    gap = 500.0 / (111_320.0 * np.cos(np.radians(north)))
    land = box(east + gap, south, east + gap + 0.05, north)
    assert all(g.distance(land) > 2 * gap for i, g in enumerate(shapes) if i != near)
    land_file = _write_geojson(tmp_path / "land.geojson", [land])
    ice_file = _write_geojson(tmp_path / "ice.geojson",
                              [shapes[on_ice].representative_point().buffer(1e-4)])
    out = tmp_path / "marked.geojson"
    code, _, err = _run(["predict", str(scene), "--bundle", str(dark_bundle), "-o", str(out),
                         "--land", str(land_file), "--sea-ice", str(ice_file),
                         "--no-progress"], capsys)
    assert code == 0, err
    marked = json.loads(out.read_text())["features"]
    stored = [f["properties"]["stored_class"] for f in marked]
    expected = [f["properties"]["class"] for f in marked]
    expected[near], expected[on_ice] = LAND, SEA_ICE
    assert stored == expected
    assert [f["properties"]["class"] for f in marked] == \
        [f["properties"]["class"] for f in features]


def test_bad_inputs_on_the_cli(dark_bundle: Path, small_scenes: list[SyntheticScene],
                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="uint8") as dst:
        dst.write(np.ones((4, 4), dtype=np.uint8), 1)
    lines = _write_geojson(tmp_path / "coast.geojson", [box(0, 0, 1, 1).boundary])
    for option, path in (("--sea-ice", nocrs), ("--land", lines)):
        out = tmp_path / "x.geojson"
        code, _, err = _run(["predict", str(small_scenes[0].path), "--bundle",
                             str(dark_bundle), "-o", str(out), option, str(path),
                             "--no-progress"], capsys)
        lines_out = [line for line in err.strip().splitlines() if line]
        assert code == 1 and len(lines_out) == 1, err
        assert lines_out[0].startswith("Error: ") and str(path) in lines_out[0]
        assert not out.exists()
