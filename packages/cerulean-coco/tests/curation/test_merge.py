from __future__ import annotations

from pathlib import Path

import pytest

from cerulean_coco.building.build import BuildReport, build_dataset
from cerulean_coco.curation.filters import FilterSpec, filter_dataset
from cerulean_coco.curation.merge import merge_datasets
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.describe.validate import validate_dataset
from cerulean_coco.errors import MergeConflictError
from cerulean_coco.format.manifest import Manifest
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.scenes.folder import discover_scenes


@pytest.fixture(scope="module")
def halves(scene_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    scenes = discover_scenes([scene_root])
    root = tmp_path_factory.mktemp("halves")
    first = root / "first"
    second = root / "second"
    build_dataset(scenes[:3], first, TilingConfig(), workers=1, progress=False)
    build_dataset(scenes[3:], second, TilingConfig(), workers=1, progress=False)
    return first, second


def test_merging_halves_gives_the_whole(halves: tuple[Path, Path], built: BuildReport,
                                        tmp_path: Path) -> None:
    merge_datasets(list(halves), tmp_path / "merged")
    assert (tmp_path / "merged" / "annotations.json").read_bytes() == (
        built.dataset / "annotations.json").read_bytes()
    manifest = Manifest.load(tmp_path / "merged")
    assert manifest.kind == "merge"
    assert manifest.negatives == Manifest.load(built.dataset).negatives
    assert sorted(manifest.scenes) == sorted(Manifest.load(built.dataset).scenes)
    assert validate_dataset(tmp_path / "merged", checksums=True) == []


def test_duplicates_are_refused_unless_a_winner_is_named(built: BuildReport,
                                                         halves: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    with pytest.raises(MergeConflictError, match="--prefer first or --prefer last"):
        merge_datasets([built.dataset, halves[0]], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    trimmed = filter_dataset(halves[0], tmp_path / "trimmed", FilterSpec(min_area=200))
    assert len(trimmed.annotations) < len(CocoDataset.open(halves[0]).annotations)
    for prefer, winner in (("first", built.dataset), ("last", tmp_path / "trimmed")):
        merged = merge_datasets([built.dataset, tmp_path / "trimmed"], tmp_path / prefer,
                                prefer=prefer)  # type: ignore[arg-type]
        assert len(merged.images) == len(CocoDataset.open(built.dataset).images)
        trimmed_names = {im.file_name for im in CocoDataset.open(tmp_path / "trimmed").images}
        counts = {im.file_name: 0 for im in merged.images}
        for ann in merged.annotations:
            counts[merged.images[ann.image_id - 1].file_name] += 1
        reference = CocoDataset.open(winner)
        by_image = reference.document.annotations_by_image()
        for image in reference.images:
            if image.file_name in trimmed_names:
                assert counts[image.file_name] == len(by_image.get(image.id, []))


def test_incompatible_categories_are_refused(built: BuildReport, halves: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    filter_dataset(halves[1], tmp_path / "cloud4", FilterSpec(preset="cloud4"))
    with pytest.raises(MergeConflictError, match="has categories"):
        merge_datasets([halves[0], tmp_path / "cloud4"], tmp_path / "out")
    with pytest.raises(MergeConflictError, match="at least two"):
        merge_datasets([halves[0]], tmp_path / "out")
