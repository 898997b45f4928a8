"""A calibration beside a row is read for the card, and an unreadable one only warns."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cerulean_eval.calibration_outputs import CALIBRATION_JSON, calibration_provenance

BEST = {"poly_score_thresh": 0.5, "pixel_score_thresh": 0.6}
DATA = {"dataset": "ds-val", "annotations_sha256": "ab" * 32, "scenes": ["b", "a"], "tiles": 4}


def test_calibration_beside_the_row_is_read(tmp_path: Path) -> None:
    row = tmp_path / "row.json"
    assert calibration_provenance(row, BEST) is None
    (tmp_path / CALIBRATION_JSON).write_text(json.dumps({"best": {"thresholds": BEST},
                                                         "data": DATA}))
    found = calibration_provenance(row, BEST)
    assert found is not None and found["used"] and found["scenes"] == ["a", "b"]
    other = calibration_provenance(row, {**BEST, "pixel_score_thresh": 0.9})
    assert other is not None and not other["used"]


@pytest.mark.parametrize(("content", "says"), [
    ('{"best": ', "calibration record is not valid JSON"),
    (json.dumps({"best": {"thresholds": BEST}}), "not a calibration record (KeyError: 'data')"),
])
def test_an_unreadable_calibration_is_one_warning_naming_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, says: str) -> None:
    path = tmp_path / CALIBRATION_JSON
    path.write_text(content)
    with caplog.at_level(logging.WARNING, logger="cerulean_eval"):
        assert calibration_provenance(tmp_path / "row.json", BEST) is None
    [record] = caplog.records
    message = record.getMessage()
    assert message.startswith(f"{path}: ") and says in message and "\n" not in message
