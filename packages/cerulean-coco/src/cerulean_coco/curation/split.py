"""Train/val/test splits of scenes, stratified by class folder.

Splitting is by scene, never by tile: tiles of one scene are correlated (same sea
state, same slick seen from neighbouring tiles), so a scene's tiles must all land in
one split. Within each class folder the scenes are sorted by id and shuffled by a
generator seeded with the seed and the folder name, so a folder's split does not
change when scenes are added to another folder.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cerulean_coco.errors import SplitError
from cerulean_tiling import discover_scenes
from cerulean_tiling.atomic import staged_folder, write_bytes, write_json

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SceneSplit:
    """Scene folders per split, and the settings that made them."""

    train: tuple[Path, ...]
    val: tuple[Path, ...]
    test: tuple[Path, ...]
    seed: int
    val_fraction: float
    test_fraction: float
    strata: dict[str, dict[str, int]]

    def lists(self) -> dict[str, tuple[Path, ...]]:
        """Split name -> scene folders."""
        return {"train": self.train, "val": self.val, "test": self.test}


def check_fractions(val: float, test: float) -> None:
    """Refuse split fractions that leave nothing to split or nothing to train on.

    Raises:
        SplitError: a fraction outside [0, 1), or the two adding up to 1 or more.
    """
    for name, value in (("val", val), ("test", test)):
        if not 0.0 <= value < 1.0 or math.isnan(value):
            raise SplitError(f"--{name} {value} is outside [0, 1)")
    if val + test >= 1.0:
        raise SplitError(f"--val {val} + --test {test} leave no scenes for training")


def split_scenes(scenes: Sequence[Path], val: float, test: float, seed: int) -> SceneSplit:
    """Assign scene folders to train/val/test, stratified by class folder.

    In each class folder of n scenes, ``round(n × val)`` go to val and
    ``round(n × test)`` to test (halves round up), the rest to train.

    Raises:
        SplitError: fractions outside [0, 1) or adding up to 1 or more.
    """
    check_fractions(val, test)
    strata: dict[str, list[Path]] = defaultdict(list)
    for scene in scenes:
        strata[Path(scene).parent.name].append(Path(scene))
    out: dict[str, list[Path]] = {s: [] for s in SPLITS}
    counts: dict[str, dict[str, int]] = {}
    for folder in sorted(strata):
        members = sorted(strata[folder], key=lambda p: (p.name, str(p)))
        random.Random(_stratum_seed(seed, folder)).shuffle(members)
        n_val = _round_half_up(len(members) * val)
        n_test = min(_round_half_up(len(members) * test), len(members) - n_val)
        chosen = {
            "val": members[:n_val],
            "test": members[n_val:n_val + n_test],
            "train": members[n_val + n_test:],
        }
        for split, items in chosen.items():
            out[split].extend(items)
        counts[folder] = {s: len(chosen[s]) for s in SPLITS}
    ordered = {s: tuple(sorted(out[s], key=lambda p: (p.name, str(p)))) for s in SPLITS}
    return SceneSplit(ordered["train"], ordered["val"], ordered["test"], seed, val, test, counts)


def write_split(split: SceneSplit, folder: Path, *, overwrite: bool = False) -> None:
    """Write ``train.txt``, ``val.txt``, ``test.txt`` and ``split.json`` into ``folder``.

    The lists hold scene folders relative to ``folder`` (``cerulean-coco build`` reads
    them relative to the list file), so the lists move with the scenes.
    """
    folder = Path(folder).absolute()
    with staged_folder(folder, overwrite=overwrite) as staged:
        for name, scenes in split.lists().items():
            lines = [os.path.relpath(Path(p).absolute(), folder) for p in scenes]
            write_bytes(staged / f"{name}.txt", "".join(f"{line}\n" for line in lines).encode())
        write_json(staged / "split.json", _summary(split), indent=1)


def split_root(inputs: Sequence[Path], val: float, test: float, seed: int) -> SceneSplit:
    """Discover scenes under ``inputs`` and split them (see :func:`split_scenes`)."""
    return split_scenes(discover_scenes(inputs), val, test, seed)


def _summary(split: SceneSplit) -> dict[str, Any]:
    return {
        "seed": split.seed,
        "val": split.val_fraction,
        "test": split.test_fraction,
        "counts": {s: len(v) for s, v in split.lists().items()},
        "strata": split.strata,
    }


def _stratum_seed(seed: int, folder: str) -> int:
    digest = hashlib.sha256(json.dumps([seed, folder]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


__all__ = ["SPLITS", "SceneSplit", "split_root", "split_scenes", "write_split"]
