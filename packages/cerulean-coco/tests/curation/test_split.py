from __future__ import annotations

from pathlib import Path

import pytest

from cerulean_coco.curation.split import split_scenes, write_split
from cerulean_coco.errors import SplitError
from cerulean_tiling.scenes.folder import discover_scenes


def _fake_scenes(counts: dict[str, int]) -> list[Path]:
    return [Path(f"/data/{folder}/S1A_{folder}_{i:03d}")
            for folder, n in counts.items() for i in range(n)]


def test_split_is_exclusive_complete_and_stratified() -> None:
    scenes = _fake_scenes({"infra_slick": 20, "natural_seep": 10, "vessel": 7})
    result = split_scenes(scenes, val=0.2, test=0.1, seed=3)
    train, val, test = (set(result.lists()[s]) for s in ("train", "val", "test"))
    assert not (train & val or train & test or val & test)
    assert train | val | test == set(scenes)
    assert result.strata["infra_slick"] == {"train": 14, "val": 4, "test": 2}
    assert result.strata["natural_seep"] == {"train": 7, "val": 2, "test": 1}
    assert result.strata["vessel"] == {"train": 5, "val": 1, "test": 1}
    for split, members in result.lists().items():
        for folder, counts in result.strata.items():
            assert sum(p.parent.name == folder for p in members) == counts[split]


def test_split_is_deterministic_and_seeded() -> None:
    scenes = _fake_scenes({"a": 30, "b": 12})
    first = split_scenes(scenes, 0.2, 0.1, seed=1)
    assert split_scenes(list(reversed(scenes)), 0.2, 0.1, seed=1) == first
    assert split_scenes(scenes, 0.2, 0.1, seed=2).val != first.val


def test_adding_scenes_to_one_folder_leaves_the_others_alone() -> None:
    base = split_scenes(_fake_scenes({"a": 10, "b": 10}), 0.3, 0.2, seed=0)
    grown = split_scenes(_fake_scenes({"a": 10, "b": 25}), 0.3, 0.2, seed=0)
    for split in ("train", "val", "test"):
        assert [p for p in base.lists()[split] if p.parent.name == "a"] == [
            p for p in grown.lists()[split] if p.parent.name == "a"]


@pytest.mark.parametrize(("val", "test"), [(-0.1, 0.1), (1.0, 0.0), (0.6, 0.4),
                                          (float("nan"), 0.1)])
def test_bad_fractions_are_refused(val: float, test: float) -> None:
    with pytest.raises(SplitError):
        split_scenes(_fake_scenes({"a": 3}), val, test, seed=0)


def test_written_lists_are_build_inputs(scene_root: Path, tmp_path: Path) -> None:
    scenes = discover_scenes([scene_root])
    result = split_scenes(scenes, 0.34, 0.0, seed=4)
    write_split(result, tmp_path / "splits")
    for split, members in result.lists().items():
        listing = tmp_path / "splits" / f"{split}.txt"
        if members:
            assert discover_scenes([listing]) == sorted(p.resolve() for p in members)
        else:
            assert listing.read_text() == ""
    assert (tmp_path / "splits" / "split.json").is_file()
