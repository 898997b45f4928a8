from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cerulean_coco.building.build import BuildReport
from cerulean_coco.curation.filters import FilterSpec, filter_dataset
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.describe.validate import validate_dataset
from cerulean_coco.errors import ClassPolicyError, NegativesError
from cerulean_coco.format.manifest import Manifest


def _counts(path: Path) -> Counter[str]:
    ds = CocoDataset.open(path)
    names = ds.document.category_names()
    return Counter(names[a.category_id] for a in ds.annotations)


def test_remove_keeps_images_and_drop_removes_them(built: BuildReport, tmp_path: Path) -> None:
    source = CocoDataset.open(built.dataset)
    before = _counts(built.dataset)
    assert before["natural_seep"] > 0
    filter_dataset(built.dataset, tmp_path / "removed", FilterSpec(remove=("natural seep",)))
    removed = CocoDataset.open(tmp_path / "removed")
    assert "natural_seep" not in _counts(tmp_path / "removed")
    assert len(removed.images) == len(source.images)
    assert sum(_counts(tmp_path / "removed").values()) == sum(before.values()) - before[
        "natural_seep"]
    assert "natural_seep" not in [c.name for c in removed.categories]

    filter_dataset(built.dataset, tmp_path / "dropped",
                   FilterSpec(drop_images_with=("natural_seep",)))
    dropped = CocoDataset.open(tmp_path / "dropped")
    with_seep = {a.image_id for a in source.annotations if a.category_id == 2}
    assert len(dropped.images) == len(source.images) - len(with_seep)
    assert "natural_seep" not in _counts(tmp_path / "dropped")
    assert validate_dataset(tmp_path / "dropped") == []


def test_cloud4_preset_merges_vessels_and_drops_ambiguous(built: BuildReport,
                                                          tmp_path: Path) -> None:
    before = _counts(built.dataset)
    document = filter_dataset(built.dataset, tmp_path / "cloud4", FilterSpec(preset="cloud4"))
    assert [(c.id, c.name) for c in document.categories] == [
        (1, "infra_slick"), (2, "natural_seep"), (3, "vessel")]
    after = _counts(tmp_path / "cloud4")
    vessels = ("coincident_vessel", "recent_vessel", "old_vessel")
    assert after["vessel"] > 0 and after["vessel"] == sum(before[k] for k in vessels)
    assert after["infra_slick"] == before["infra_slick"]
    assert "ambiguous" not in after
    assert validate_dataset(tmp_path / "cloud4") == []


def test_remap_and_min_area(built: BuildReport, tmp_path: Path) -> None:
    before = CocoDataset.open(built.dataset)
    threshold = sorted(a.area for a in before.annotations)[len(before.annotations) // 2]
    filter_dataset(built.dataset, tmp_path / "out", FilterSpec(
        remap=("old_vessel=recent_vessel",), min_area=threshold))
    after = CocoDataset.open(tmp_path / "out")
    assert all(a.area >= threshold for a in after.annotations)
    assert len(after.annotations) == sum(a.area >= threshold for a in before.annotations)
    assert 5 not in {a.category_id for a in after.annotations}
    assert "old_vessel" not in [c.name for c in after.categories]


def test_negatives_are_drawn_reproducibly_from_the_build_record(built: BuildReport,
                                                                tmp_path: Path) -> None:
    pool = Manifest.load(built.dataset).negatives
    assert len(pool) >= 2
    spec = FilterSpec(negatives=2, seed=9)
    first = filter_dataset(built.dataset, tmp_path / "a", spec)
    second = filter_dataset(built.dataset, tmp_path / "b", spec)
    assert (tmp_path / "a" / "annotations.json").read_bytes() == (
        tmp_path / "b" / "annotations.json").read_bytes()
    empty = [im for im in first.images
             if im.id not in {a.image_id for a in first.annotations}]
    assert len(empty) == 2
    assert {im.file_name for im in empty} <= {im.file_name for im in pool}
    assert len(first.images) == len(CocoDataset.open(built.dataset).images) + 2
    out_manifest = Manifest.load(tmp_path / "a")
    assert len(out_manifest.negatives) == len(pool) - 2
    assert out_manifest.history[-1]["negatives"] == 2
    assert validate_dataset(tmp_path / "a") == []
    with pytest.raises(NegativesError, match=f"{len(pool) - 2} available"):
        filter_dataset(tmp_path / "a", tmp_path / "c", FilterSpec(negatives=len(pool)))
    assert second.images == first.images


def test_bad_policies_write_nothing(built: BuildReport, tmp_path: Path) -> None:
    for spec in (FilterSpec(remove=("slick",)), FilterSpec(remap=("old_vessel",))):
        with pytest.raises(ClassPolicyError):
            filter_dataset(built.dataset, tmp_path / "out", spec)
    with pytest.raises(ClassPolicyError, match="cannot be combined"):
        FilterSpec(preset="cloud4", remap=("a=b",))
    assert list(tmp_path.iterdir()) == []
    assert json.loads((built.dataset / "manifest.json").read_text())["kind"] == "build"
