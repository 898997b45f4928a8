"""Polygon NMS: the service's rules, one at a time."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, box

from cerulean_infer import Slick
from cerulean_infer.postprocess import polygon_nms

D = 0.01  # degrees: about 1.1 km at these latitudes


def slick(x0: float, y0: float, x1: float, y1: float, conf: float, inf_idx: int = 1,
          name: str = "") -> Slick:
    return Slick(geometry=MultiPolygon([box(10 + x0 * D, 40 + y0 * D, 10 + x1 * D, 40 + y1 * D)]),
                 inf_idx=inf_idx, class_name="infra_slick", machine_confidence=conf,
                 mean_conf=conf, median_conf=conf, max_conf=conf, extra={"name": name})


def names(slicks: list[Slick]) -> list[str]:
    return [s.extra["name"] for s in slicks]


def test_high_iou_lower_confidence_goes_across_classes() -> None:
    a = slick(0, 0, 10, 10, 0.6, inf_idx=1, name="a")
    b = slick(1, 0, 11, 10, 0.8, inf_idx=2, name="b")     # IoU 9/11
    assert names(polygon_nms([a, b], 0.2)) == ["b"]
    assert names(polygon_nms([b, a], 0.2)) == ["b"]
    assert names(polygon_nms([a, b], 0.2, in_class_only=True)) == ["a", "b"]


def test_confidence_tie_removes_the_earlier() -> None:
    a = slick(0, 0, 10, 10, 0.7, name="a")
    b = slick(1, 0, 11, 10, 0.7, name="b")
    assert names(polygon_nms([a, b], 0.2)) == ["b"]


def test_mostly_inside_goes_even_when_more_confident() -> None:
    big = slick(0, 0, 20, 20, 0.5, name="big")
    small = slick(2, 2, 6, 6, 0.9, name="small")           # IoU 16/400 ≤ 0.2, inside big
    assert names(polygon_nms([big, small], 0.2)) == ["big"]
    assert names(polygon_nms([small, big], 0.2)) == ["big"]


def test_less_than_half_inside_stays() -> None:
    a = slick(0, 0, 10, 10, 0.5, name="a")
    b = slick(5.2, 0, 15.2, 10, 0.9, name="b")             # IoU 0.32; 48 % inside
    assert names(polygon_nms([a, b], 0.5)) == ["a", "b"]
    c = slick(4, 0, 14, 10, 0.9, name="c")                 # IoU 0.43; 60 % inside: a goes
    assert names(polygon_nms([a, c], 0.5)) == ["c"]


def test_gone_slicks_suppress_nothing() -> None:
    a = slick(0, 0, 10, 10, 0.9, name="a")
    b = slick(3, 0, 13, 10, 0.5, name="b")     # IoU(a, b) ≈ 0.54: b goes
    c = slick(6, 0, 16, 10, 0.4, name="c")     # IoU(a, c) = 0.25; IoU(b, c) ≈ 0.54, b is gone
    assert names(polygon_nms([a, b, c], 0.3)) == ["a", "c"]


def test_min_overlaps_drops_isolated_and_empty() -> None:
    a = slick(0, 0, 10, 10, 0.9, name="a")
    b = slick(9, 0, 19, 10, 0.5, name="b")          # touches a: one overlap each
    alone = slick(50, 50, 60, 60, 0.99, name="alone")
    empty = Slick(geometry=MultiPolygon(), inf_idx=1, class_name="x", machine_confidence=1,
                  mean_conf=1, median_conf=1, max_conf=1, extra={"name": "empty"})
    assert names(polygon_nms([a, b, alone, empty], 0.2, min_overlaps=1)) == ["a", "b"]
    assert names(polygon_nms([a, b, alone, empty], 0.2)) == ["a", "b", "alone"]
    assert polygon_nms([], 0.2) == []
