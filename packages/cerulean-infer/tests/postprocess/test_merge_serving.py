"""The service's ensemble of offset tilesets, rule by rule."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, box

from cerulean_infer import PRESETS, Slick
from cerulean_infer.postprocess import merge_tilesets_serving

PRESET = PRESETS["unet-serving"]
D = 0.005


def slick(x0: float, x1: float, conf: float, name: str, y0: float = 0, y1: float = 10,
          inf_idx: int = 1) -> Slick:
    outline = box(-120 + x0 * D, 35 + y0 * D, -120 + x1 * D, 35 + y1 * D)
    return Slick(geometry=MultiPolygon([outline]),
                 inf_idx=inf_idx, class_name="infra_slick", machine_confidence=conf,
                 mean_conf=conf, median_conf=conf, max_conf=conf, extra={"name": name})


def names(slicks: list[Slick]) -> list[str]:
    return [s.extra["name"] for s in slicks]


def test_unconfirmed_slick_goes() -> None:
    lone = slick(0, 10, 0.99, "lone")
    seen_twice = [slick(30, 40, 0.5, "t0"), slick(31, 41, 0.6, "t1")]
    assert names(merge_tilesets_serving([[lone, seen_twice[0]], [seen_twice[1]]], PRESET)) == ["t1"]
    assert merge_tilesets_serving([[lone], [], []], PRESET) == []


def test_a_neighbour_in_the_same_tileset_counts_as_confirmation() -> None:
    # The service counts intersections with every other slick, its own tileset's too.
    left, right = slick(0, 10, 0.5, "left"), slick(10, 20, 0.5, "right")   # they touch
    assert names(merge_tilesets_serving([[left, right], [], []], PRESET)) == ["left", "right"]


def test_iou_above_thresh_keeps_the_more_confident_across_classes() -> None:
    t0 = slick(0, 10, 0.7, "t0", inf_idx=1)
    t1 = slick(2, 12, 0.8, "t1", inf_idx=3)         # IoU 8/12
    t2 = slick(4, 14, 0.6, "t2", inf_idx=2)         # IoU with t1 8/12, with t0 6/14
    (kept,) = merge_tilesets_serving([[t0], [t1], [t2]], PRESET)
    assert kept.extra["name"] == "t1" and kept.tileset == 1


def test_tie_removes_the_earlier_tileset() -> None:
    t0, t1 = slick(0, 10, 0.7, "t0"), slick(1, 11, 0.7, "t1")
    assert names(merge_tilesets_serving([[t0], [t1]], PRESET)) == ["t1"]


def test_more_than_half_inside_goes() -> None:
    big = slick(0, 20, 0.4, "big", y1=20)
    inner = slick(2, 8, 0.9, "inner", y0=2, y1=8)    # IoU 36/400 ≤ 0.2, all inside
    assert names(merge_tilesets_serving([[inner], [big]], PRESET)) == ["big"]
    edge = slick(16, 26, 0.9, "edge", y0=0, y1=5)    # 40 % inside big: both stay
    assert names(merge_tilesets_serving([[edge], [big]], PRESET)) == ["edge", "big"]
