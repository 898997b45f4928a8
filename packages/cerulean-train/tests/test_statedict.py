"""Why a state dict does not fit: the first key at fault, in one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cerulean_train.errors import ExportError
from cerulean_train.statedict import load_fitting, state_mismatch


def _model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))


def test_a_fitting_state_loads() -> None:
    source, target = _model(), _model()
    nn.init.constant_(source[0].weight, 0.25)
    load_fitting(target, source.state_dict(), "w.pt", "the model", ExportError)
    assert torch.equal(target[0].weight, source[0].weight)
    assert state_mismatch(target, source.state_dict()) is None


def test_the_first_key_at_fault_is_named() -> None:
    model = _model()
    state = dict(model.state_dict())
    state["0.weight"] = torch.zeros(4, 3, 3, 3)
    assert state_mismatch(model, state) == \
        "0.weight is [4, 3, 3, 3] in the file, [4, 1, 3, 3] in the model"
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("1.")}
    assert state_mismatch(model, state) == "1.weight is missing (and 4 more)"
    state = {**model.state_dict(), "2.weight": torch.zeros(1)}
    assert state_mismatch(model, state) == "2.weight is not in the model"
    with pytest.raises(ExportError, match=r"^w\.pt: weights do not fit the model: 2\.weight"):
        load_fitting(model, state, "w.pt", "the model", ExportError)
