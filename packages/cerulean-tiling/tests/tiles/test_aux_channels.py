from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds

from cerulean_tiling.config import ChannelSpec
from cerulean_tiling.errors import AuxChannelError
from cerulean_tiling.geo.gcps import metres_per_degree
from cerulean_tiling.geo.grid import Lattice, Window
from cerulean_tiling.scenes.sceneid import parse_scene_id
from cerulean_tiling.tiles.aux_channels import aux_channel

SCENE = parse_scene_id("S1A_IW_GRDH_1SDV_20200802T141646_20200802T141711_033729_03E8C7_E4F5")
LATTICE = Lattice(-180.0, 90.0, 180 / 2**9 / 512)
WINDOW = Window(row=94000, col=342000, height=300, width=400)


def _lonlat(row: int, col: int) -> tuple[float, float]:
    return (LATTICE.x0 + (WINDOW.col + col + 0.5) * LATTICE.res,
            LATTICE.y0 - (WINDOW.row + row + 0.5) * LATTICE.res)


def test_infra_distance_from_points(tmp_path: Path) -> None:
    lon, lat = _lonlat(150, 200)
    outside_lon = LATTICE.x0 + (WINDOW.col - 100 + 0.5) * LATTICE.res  # 100 px west of window
    path = tmp_path / "infra.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                            "coordinates": [lon, lat]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                            "coordinates": [outside_lon, lat]}},
    ]}))
    channel = aux_channel(ChannelSpec("infra_distance", str(path)), LATTICE, WINDOW, SCENE)
    assert channel[150, 200] == 0
    m_lon, m_lat = metres_per_degree(lat)
    d_m = 100 * LATTICE.res * m_lat  # 100 px north of the point
    assert channel[50, 200] == round(d_m / 60_000 * 255)
    # Column 0 is nearer the outside point (100 px away) than the inside one (200 px).
    d_out = 100 * LATTICE.res * m_lon
    assert channel[150, 0] == round(d_out / 60_000 * 255)


def test_infra_distance_far_is_255(tmp_path: Path) -> None:
    path = tmp_path / "far.geojson"
    path.write_text(json.dumps({"type": "Point", "coordinates": [0.0, 0.0]}))
    channel = aux_channel(ChannelSpec("infra_distance", str(path)), LATTICE, WINDOW, SCENE)
    assert (channel == 255).all()


def test_vessel_density_raster_for_the_scene_month(tmp_path: Path) -> None:
    west, south, east, north = LATTICE.bounds(WINDOW)
    values = np.linspace(0, 200, 50 * 60, dtype=np.float32).reshape(50, 60)
    with rasterio.open(tmp_path / "density_08.tif", "w", driver="GTiff", width=60, height=50,
                       count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_bounds(west - 0.1, south - 0.1, east + 0.1, north + 0.1,
                                             60, 50)) as dst:
        dst.write(values, 1)
    spec = ChannelSpec("vessel_density", str(tmp_path / "density_{month}.tif"))
    channel = aux_channel(spec, LATTICE, WINDOW, SCENE)
    assert channel.dtype == np.uint8 and channel.shape == (300, 400)
    assert channel.min() < channel.max()
    assert channel.max() == 255  # density above 100 saturates


def test_bad_aux_specs(tmp_path: Path) -> None:
    with pytest.raises(AuxChannelError, match="unknown aux channel 'wind'"):
        ChannelSpec.parse("wind=x.tif")
    with pytest.raises(AuxChannelError, match="needs a source"):
        ChannelSpec.parse("vessel_density")
    with pytest.raises(AuxChannelError, match="outside 0–255"):
        ChannelSpec.parse("constant=300")
    with pytest.raises(AuxChannelError, match="missing.tif"):
        aux_channel(ChannelSpec("vessel_density", str(tmp_path / "missing.tif")), LATTICE,
                    WINDOW, SCENE)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{")
    with pytest.raises(AuxChannelError,
                       match="bad.geojson: infrastructure file is not valid JSON"):
        aux_channel(ChannelSpec("infra_distance", str(bad)), LATTICE, WINDOW, SCENE)
