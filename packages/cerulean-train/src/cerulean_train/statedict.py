"""Loading a state dict into a model, or saying exactly why it does not fit.

torch's own message for a state dict that does not fit lists every missing, unexpected
and misshapen key over many lines, headed by ``Error(s) in loading state_dict for …:``;
cut to one line it says nothing. Here the first key at fault is named, with its shapes.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from cerulean_train.errors import CeruleanTrainError


def state_mismatch(model: nn.Module, state: Mapping[str, object]) -> str | None:
    """Why ``state`` does not fit ``model`` (its first bad key), or None when it fits.

    A key whose shape differs is named first (the usual sign of another backbone or
    class count), then a key the model needs that the file lacks, then one the file
    has that the model does not know.
    """
    own = model.state_dict()
    for key, value in own.items():
        theirs = state.get(key)
        if isinstance(theirs, torch.Tensor) and theirs.shape != value.shape:
            return (f"{key} is {list(theirs.shape)} in the file, {list(value.shape)} in "
                    "the model")
    missing = [key for key in own if key not in state]
    if missing:
        return f"{missing[0]} is missing" + _more(len(missing))
    unexpected = [key for key in state if key not in own]
    if unexpected:
        return f"{unexpected[0]} is not in the model" + _more(len(unexpected))
    wrong = [key for key in own if not isinstance(state[key], torch.Tensor)]
    if wrong:
        return f"{wrong[0]} is a {type(state[wrong[0]]).__name__}, not a tensor"
    return None


def load_fitting(model: nn.Module, state: Mapping[str, object], source: object,
                 what: str, error: type[CeruleanTrainError]) -> None:
    """Load ``state`` into ``model`` after checking that it fits.

    Args:
        model: the model to load into.
        state: the state dict read from ``source``.
        source: the file the state dict came from, for the message.
        what: the model, for the message (``"a xresnet18_narrow UNet"``).
        error: the error to raise (the caller's documented one).

    Raises:
        error: the state dict does not fit; the message names ``source`` and the
            first key at fault.
    """
    problem = state_mismatch(model, state)
    if problem is not None:
        raise error(f"{source}: weights do not fit {what}: {problem}")
    model.load_state_dict(dict(state))


def _more(count: int) -> str:
    return f" (and {count - 1} more)" if count > 1 else ""


__all__ = ["load_fitting", "state_mismatch"]
