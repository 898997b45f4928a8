"""Every name in ``__all__`` imports."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["cerulean_train", "cerulean_train.config", "cerulean_train.configs",
           "cerulean_train.unet.config", "cerulean_train.maskrcnn.config", "cerulean_train.data",
           "cerulean_train.augment", "cerulean_train.run", "cerulean_train.engine",
           "cerulean_train.engine.distributed", "cerulean_train.export",
           "cerulean_train.unet.trainer", "cerulean_train.unet.metrics",
           "cerulean_train.unet.backbones", "cerulean_train.errors"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_import(name: str) -> None:
    module = importlib.import_module(name)
    for member in module.__all__:
        assert getattr(module, member) is not None, f"{name}.{member}"
