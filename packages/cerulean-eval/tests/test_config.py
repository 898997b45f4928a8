"""Evaluation settings on the settings layer: formats, checks, and metrics.json's copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from cerulean_eval.config import EvalConfig
from cerulean_eval.errors import ConfigError


@pytest.mark.parametrize(("name", "text"), [
    ("eval.toml", 'match_metric = "iou"\niou_thresholds = [0.1, 0.5]\n'
                  'area_ranges = [["all", 0, 1e10], ["small", 0, 1024]]\n'),
    ("eval.yaml", "match_metric: iou\niou_thresholds: [0.1, 0.5]\n"
                  "area_ranges: [[all, 0, 1.0e+10], [small, 0, 1024]]\n"),
    ("eval.json", '{"match_metric": "iou", "iou_thresholds": [0.1, 0.5],'
                  ' "area_ranges": [["all", 0, 1e10], ["small", 0, 1024]]}'),
])
def test_each_format_gives_the_same_settings(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    config = EvalConfig.load(path)
    assert config == EvalConfig(match_metric="iou", iou_thresholds=(0.1, 0.5),
                                area_ranges=(("all", 0.0, 1e10), ("small", 0.0, 1024.0)))
    assert config.coco.iou_thresholds == (0.1, 0.5)


def test_the_copy_in_metrics_json_reads_back_equal() -> None:
    config = EvalConfig(bootstrap=10, match_dice=0.3, examples=0)
    again = EvalConfig.from_dict(config.to_json(), "metrics.json: settings")
    # The default IoU thresholds (0.05 steps) are written rounded to 6 decimals.
    assert again.to_json() == config.to_json()
    assert again.model_copy(update={"iou_thresholds": config.iou_thresholds}) == config


@pytest.mark.parametrize(("data", "message"), [
    ({"match_metrik": "iou"}, "unknown key 'match_metrik' (did you mean 'match_metric'?)"),
    ({"match_dice": 0}, "key 'match_dice': 0 is out of range (must be > 0)"),
    ({"match_threshold": 1.5}, "key 'match_threshold': 1.5 is out of range (must be <= 1)"),
    ({"bootstrap": -1}, "key 'bootstrap': -1 is out of range (must be >= 0)"),
    ({"sweep_bins": 1}, "key 'sweep_bins': 1 is out of range (must be >= 2)"),
    ({"iou_thresholds": [0.5, 0.1]}, "key 'iou_thresholds': [0.5, 0.1] must increase"),
    ({"iou_thresholds": [0.01]}, "key 'iou_thresholds': [0.01] must lie in 0.05–0.95"),
    ({"area_ranges": [["small", 0, 10]]}, "key 'area_ranges': must include one named 'all'"),
    ({"coco_backend": "fast"}, "key 'coco_backend': 'fast' is not one of pycocotools, "
                               "faster-coco-eval"),
    ({"diagnostic": "yes"}, "key 'diagnostic': expected true or false, got 'yes'"),
])
def test_bad_settings_are_one_line(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        EvalConfig.from_dict(data, "eval.toml")
    assert str(info.value) == f"eval.toml: {message}"
