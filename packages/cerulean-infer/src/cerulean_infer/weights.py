"""Reading torch weight files that may come from anyone: the one ``torch.load`` call.

A ``weights.pt``, a checkpoint or a ``--weights`` file is a pickle, and a pickle can
hold code that runs when it is loaded. Every package loads such files through
:func:`load_state_file`, which asks torch for tensors and plain data only
(``weights_only=True``): a file that pickles anything else is refused before any of it
runs, in one line that names the file. Torch's own message for that case advises
loading again with ``weights_only=False``; that advice is never passed on.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

from cerulean_infer.compat import load_takes_mmap
from cerulean_infer.errors import ModelLoadError


def load_state_file(path: Path | str, what: str = "weights", *, mmap: bool = False) -> Any:
    """The content of a torch weight file, loaded on the CPU with ``weights_only=True``.

    Args:
        path: the file (``weights.pt``, a checkpoint, a backbone's state dict).
        what: what the file should be, for the message (``"checkpoint"``).
        mmap: memory-map the tensors instead of reading them (a zip-format file only;
            torch 2.0 reads them).

    Returns:
        What the file holds: a state dict, or a dict of state dicts and plain data.

    Raises:
        ModelLoadError: the file is missing, unreadable, not a torch file, or pickles
            objects other than tensors and plain data (untrusted: nothing in it ran).
    """
    import torch

    path = Path(path)
    try:
        # torch warns about pickle protocols on plain pickles (and torch 2.0 about its own
        # TypedStorage); the outcome is said below.
        extra = {"mmap": True} if mmap and load_takes_mmap() else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(str(path), map_location="cpu", weights_only=True, **extra)
    except pickle.UnpicklingError:
        raise ModelLoadError(
            f"{path}: not a plain state dict: this {what} file pickles objects other than "
            "tensors and plain data, which could run code; refused without running any"
        ) from None
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise ModelLoadError(f"{path}: is a folder, not a {what} file") from None
    except Exception as exc:  # torch raises several unrelated types for a bad file
        raise ModelLoadError(f"{path}: unreadable {what} file ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    """The first line of ``exc``, without torch's advice to load with weights_only=False."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    if not first or "weights_only" in first:
        return type(exc).__name__
    return first


__all__ = ["load_state_file"]
