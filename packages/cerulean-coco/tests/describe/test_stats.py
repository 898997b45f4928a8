from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from cerulean_coco.building.build import BuildReport
from cerulean_coco.curation.filters import FilterSpec, filter_dataset
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.describe.regionprops import region_props
from cerulean_coco.describe.stats import compute_stats
from cerulean_coco.format import rle


def test_counts_match_the_document(built: BuildReport) -> None:
    ds = CocoDataset.open(built.dataset)
    stats = compute_stats(ds, shapes=False)
    names = ds.document.category_names()
    for category_id, name in names.items():
        assert stats.instances_per_class[name] == sum(
            a.category_id == category_id for a in ds.annotations)
    assert stats.images_with_instances == len(ds.images)
    assert stats.images_without_instances == 0
    assert sum(s["images"] for s in stats.per_scene.values()) == len(ds.images)
    assert sum(s["instances"] for s in stats.per_scene.values()) == len(ds.annotations)
    assert stats.rows == []


def test_negatives_count_as_images_without_instances(built: BuildReport,
                                                     tmp_path: Path) -> None:
    filter_dataset(built.dataset, tmp_path / "neg", FilterSpec(negatives=1, seed=0))
    stats = compute_stats(CocoDataset.open(tmp_path / "neg"), shapes=False)
    assert stats.images_without_instances == 1


def test_csv_rows_hold_region_properties(built: BuildReport, tmp_path: Path) -> None:
    ds = CocoDataset.open(built.dataset)
    stats = compute_stats(ds)
    stats.write_csv(tmp_path / "shapes.csv")
    with open(tmp_path / "shapes.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(ds.annotations)
    first = ds.annotations[0]
    props = region_props(rle.decode(first.segmentation))
    assert int(rows[0]["annotation_id"]) == first.id
    assert int(rows[0]["area"]) == first.area == props.area
    assert float(rows[0]["major_axis_length"]) == pytest.approx(props.major_axis_length,
                                                                abs=1e-5)
    for row in rows:
        assert float(row["major_axis_length"]) >= float(row["minor_axis_length"]) >= 0
        assert 0 <= float(row["eccentricity"]) <= 1
        assert abs(float(row["orientation"])) <= math.pi / 2 + 1e-9
        assert int(row["bbox_area"]) >= int(row["area"])


def test_plot_is_a_png(built: BuildReport, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from cerulean_coco.describe.plotting import plot_histograms

    plot_histograms(compute_stats(CocoDataset.open(built.dataset)), tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
