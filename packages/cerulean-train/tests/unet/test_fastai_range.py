"""fastai: the installed release is within the range pyproject.toml declares (the one
private method we override, ``DistributedDL._broadcast``, is tested only there), and the
per-epoch schedule reproduces fastai's own one-cycle over a stage."""

from __future__ import annotations

import tomllib
from pathlib import Path

import fastai
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from cerulean_train.unet.trainer import _cycle

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def _declared() -> Requirement:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    (found,) = [Requirement(r) for r in project["dependencies"]
                if Requirement(r).name == "fastai"]
    return found


def test_installed_fastai_is_in_the_declared_range() -> None:
    declared = _declared()
    assert any(s.operator == "<" for s in declared.specifier), declared
    assert Version(fastai.__version__) in declared.specifier, (fastai.__version__, declared)


def test_the_override_fastai_offers_no_public_hook_for_is_still_there() -> None:
    from fastai.distributed import DistributedDL

    from cerulean_train.unet.distributed import GroupDistributedDL

    assert "_broadcast" in vars(DistributedDL)
    assert issubclass(GroupDistributedDL, DistributedDL)


def test_epochs_of_a_cycle_follow_fit_one_cycle() -> None:
    from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner)
    from fastai.test_utils import synth_learner

    lr, epochs = 0.01, 3
    whole = synth_learner(n_trn=40)
    whole.fit_one_cycle(epochs, lr_max=lr)
    split = synth_learner(n_trn=40)
    hps: dict[str, list[float]] = {"lr": [], "mom": []}
    for k in range(epochs):
        split.fit(1, lr=lr, cbs=[_cycle(k, epochs, lr)])
        for name in hps:
            hps[name] += split.recorder.hps[name]
    assert len(hps["lr"]) == len(whole.recorder.hps["lr"]) > epochs
    # (k + i/n) / epochs and fastai's (k·n + i) / (n·epochs) may differ in the last bit.
    assert hps["lr"] == pytest.approx(whole.recorder.hps["lr"], rel=1e-12)
    assert hps["mom"] == pytest.approx(whole.recorder.hps["mom"], rel=1e-12)
