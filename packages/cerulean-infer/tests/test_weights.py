"""The one torch.load: tensors load, a pickle that would run code is refused in one line."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from cerulean_infer import ModelLoadError, load_state_file


class _Payload:
    """Unpickling this runs a shell command (what a malicious weights file does)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_a_state_dict_loads(tmp_path: Path) -> None:
    state = {"conv.weight": torch.arange(6.0).reshape(2, 3), "epoch": 3}
    torch.save(state, tmp_path / "weights.pt")
    loaded = load_state_file(tmp_path / "weights.pt", mmap=True)
    assert torch.equal(loaded["conv.weight"], state["conv.weight"]) and loaded["epoch"] == 3


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path: Path,
                                                                writer: str) -> None:
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"
    payload = {"conv.weight": torch.zeros(2), "extra": _Payload(marker)}
    if writer == "torch.save":
        torch.save(payload, evil)
    else:
        with open(evil, "wb") as handle:
            pickle.dump(payload, handle)
    with pytest.raises(ModelLoadError) as caught:
        load_state_file(evil, "checkpoint")
    message = str(caught.value)
    assert message.startswith(f"{evil}: not a plain state dict: this checkpoint file")
    assert "\n" not in message and "weights_only" not in message
    assert not marker.exists()


def test_missing_and_corrupt_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"nothing\.pt: no such weights file"):
        load_state_file(tmp_path / "nothing.pt")
    (tmp_path / "cut.pt").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(ModelLoadError, match=r"cut\.pt: unreadable weights file \("):
        load_state_file(tmp_path / "cut.pt")
