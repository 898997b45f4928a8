"""Local metric frames: the UTM zone pyproj (and so geopandas) would pick, and back."""

from __future__ import annotations

import pytest
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from shapely.geometry import Point, box

from cerulean_infer.postprocess import MetricFrame, utm_epsg


@pytest.mark.parametrize(("lon", "lat"), [
    (10.5, 40.0), (12.0, 10.0), (-180.0, 5.0), (180.0, -5.0), (3.0, 0.0), (-71.3, -33.2),
])
def test_zone_is_pyprojs_first_answer(lon: float, lat: float) -> None:
    answers = query_utm_crs_info(datum_name="WGS 84",
                                 area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    assert utm_epsg(lon, lat) == int(answers[0].code)


def test_frame_round_trip_and_metres() -> None:
    square = box(9.0, 45.0, 9.01, 45.01)
    frame = MetricFrame.around([square, Point(9.02, 45.0)])
    assert frame.epsg == 32632
    (metric,) = frame.to_metric([square])
    _, y0, _, y1 = metric.bounds
    assert y1 - y0 == pytest.approx(1111.6, rel=2e-3)          # 0.01° of latitude at 45°
    (back,) = frame.to_lonlat([metric])
    assert back.equals_exact(square, tolerance=1e-9)
