"""Every model family's config by name, and the config a run folder was trained with.

A run folder's resolved config is ``config.json`` (the one saved settings form); folders
written before it hold ``config.yaml``, which is still read (with keys renamed since, such
as Mask R-CNN's ``metric``, now ``monitor``), so they resume and export.
"""

from __future__ import annotations

from pathlib import Path

from cerulean_tiling.settings import read_settings_file
from cerulean_train.config import CONFIG_NAME, RunConfig
from cerulean_train.errors import ConfigError
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.unet.config import UNetConfig

CONFIG_NAMES = (CONFIG_NAME, "config.yaml")
"""What a run folder's config may be called: the saved form, then the earlier YAML."""

CONFIGS: dict[str, type[RunConfig]] = {"unet": UNetConfig, "maskrcnn": MaskRCNNConfig}
"""arch → the config class of that model family."""

_RENAMED = {"maskrcnn": {"metric": "monitor"}}
"""Keys saved under an earlier name, per family (old name → name)."""


def config_class(arch: str) -> type[RunConfig]:
    """The config class of a model family (``unet``, ``maskrcnn``).

    Raises:
        ConfigError: an unknown family.
    """
    cls = CONFIGS.get(arch)
    if cls is None:
        raise ConfigError(f"unknown arch {arch!r}; known: {', '.join(CONFIGS)}")
    return cls


def find_run_config(run_dir: Path) -> Path:
    """The resolved config file of a run folder.

    Raises:
        ConfigError: the folder holds none.
    """
    for name in CONFIG_NAMES:
        if (run_dir / name).is_file():
            return run_dir / name
    raise ConfigError(f"{run_dir}: not a training run (no {CONFIG_NAME})")


def read_run_config(run_dir: Path) -> RunConfig:
    """Rebuild the config a run folder was trained with (its class from ``arch``).

    Raises:
        ConfigError: no config there, or one that does not parse.
    """
    path = find_run_config(run_dir)
    data = read_settings_file(path, ConfigError)
    arch = data.pop("arch", None)
    if not isinstance(arch, str):
        raise ConfigError(f"{path}: missing key 'arch'")
    for old, new in _RENAMED.get(arch, {}).items():
        if old in data and new not in data:
            data[new] = data.pop(old)
    return config_class(arch).from_dict(data, str(path))


__all__ = ["CONFIGS", "CONFIG_NAMES", "config_class", "find_run_config", "read_run_config"]
