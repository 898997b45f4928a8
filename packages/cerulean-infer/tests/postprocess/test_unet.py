"""UNet probability rasters to slicks: hysteresis, outlines, classes, the no-data border."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.transform import Affine

from cerulean_infer import PRESETS
from cerulean_infer.postprocess import unet_slicks

CLASSES = ("background", "infra_slick", "natural_seep", "vessel")
RES = 0.000687                     # zoom-9 pixel, degrees
TRANSFORM = Affine(RES, 0.0, 30.0, 0.0, -RES, 20.0)
PRESET = PRESETS["unet-serving"]


def lonlat(col: float, row: float) -> tuple[float, float]:
    return 30.0 + col * RES, 20.0 - row * RES


def scene(height: int = 120, width: int = 160) -> np.ndarray:
    """Softmax of an empty sea: background almost 1, every oil class 1e-6."""
    probs = np.full((len(CLASSES), height, width), 1e-6, dtype=np.float32)
    probs[0] = 1 - 3e-6
    return probs


def paint(probs: np.ndarray, rows: slice, cols: slice, **by_class: float) -> None:
    probs[:, rows, cols] = 0
    for name, value in by_class.items():
        probs[CLASSES.index(name), rows, cols] = value
    probs[0, rows, cols] = 1 - sum(by_class.values())


def test_islands_kept_only_when_they_reach_pixel_thresh() -> None:
    probs = scene()
    paint(probs, slice(20, 30), slice(20, 50), vessel=0.7)
    paint(probs, slice(24, 26), slice(30, 34), vessel=0.95)       # a confident core: kept
    paint(probs, slice(70, 80), slice(20, 50), natural_seep=0.85)  # never reaches 0.9: gone
    (kept,) = unet_slicks(probs, TRANSFORM, CLASSES, PRESET)
    assert kept.class_name == "vessel" and kept.inf_idx == 3
    assert kept.geometry.area == pytest.approx(300 * RES * RES)
    x0, _, _, y1 = kept.geometry.bounds
    assert (x0, y1) == pytest.approx(lonlat(20, 20))
    values = np.r_[np.full(300 - 8, 0.7), np.full(8, 0.95)].astype(np.float32)
    assert kept.max_conf == pytest.approx(0.95)
    assert kept.mean_conf == pytest.approx(float(values.mean()), rel=1e-6)
    assert kept.median_conf == kept.machine_confidence == pytest.approx(0.7)


def test_outline_at_poly_thresh_and_one_slick_per_island() -> None:
    probs = scene()
    paint(probs, slice(10, 60), slice(10, 80), infra_slick=0.2)    # rim: island, not outline
    paint(probs, slice(20, 30), slice(20, 30), infra_slick=0.95)
    paint(probs, slice(40, 50), slice(50, 60), infra_slick=0.6)
    (kept,) = unet_slicks(probs, TRANSFORM, CLASSES, PRESET)
    assert len(kept.geometry.geoms) == 2                             # two pieces, one island
    assert kept.geometry.area == pytest.approx(200 * RES * RES)
    assert kept.max_conf == pytest.approx(0.95)


def test_class_is_argmax_of_class_sums() -> None:
    probs = scene()
    paint(probs, slice(20, 40), slice(20, 40), infra_slick=0.5, natural_seep=0.45)
    paint(probs, slice(20, 40), slice(40, 60), natural_seep=0.95)
    # infra 400·0.5 = 200 < seep 400·0.45 + 400·0.95 = 560
    (kept,) = unet_slicks(probs, TRANSFORM, CLASSES, PRESET)
    assert kept.class_name == "natural_seep" and kept.inf_idx == 2
    paint(probs, slice(20, 40), slice(40, 60), natural_seep=0.3, infra_slick=0.65)
    paint(probs, slice(25, 27), slice(45, 47), infra_slick=0.95)
    # infra 200 + 396·0.65 + 4·0.95 > seep 180 + 396·0.3
    (kept,) = unet_slicks(probs, TRANSFORM, CLASSES, PRESET)
    assert kept.class_name == "infra_slick"


def test_pieces_mostly_in_the_nodata_border_go() -> None:
    probs = scene()
    probs[1:, :, :10] = 0                                  # no data in the first 10 columns
    paint(probs, slice(20, 30), slice(12, 20), vessel=0.95)   # within 0.005° (7.3 px): gone
    paint(probs, slice(60, 70), slice(12, 40), vessel=0.95)   # mostly out of the border: kept
    paint(probs, slice(90, 100), slice(60, 90), vessel=0.95)  # far away: kept
    kept = unet_slicks(probs, TRANSFORM, CLASSES, PRESET)
    assert [s.geometry.bounds[0] for s in kept] == pytest.approx(
        [lonlat(12, 0)[0], lonlat(60, 0)[0]])
    valid = np.ones(probs.shape[1:], bool)
    valid[:, 150:] = False                                 # an explicit mask replaces p == 0
    assert len(unet_slicks(probs, TRANSFORM, CLASSES, PRESET, valid=valid)) == 3
    looser = PRESET.override(nodata_fraction=1.0)
    assert len(unet_slicks(probs, TRANSFORM, CLASSES, looser)) == 3


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="classes"):
        unet_slicks(scene()[:3], TRANSFORM, CLASSES, PRESET)
    with pytest.raises(ValueError, match="valid"):
        unet_slicks(scene(), TRANSFORM, CLASSES, PRESET, valid=np.ones((3, 3), bool))
    assert unet_slicks(scene(), TRANSFORM, CLASSES, PRESET) == []
