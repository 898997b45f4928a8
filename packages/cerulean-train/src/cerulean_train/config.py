"""What every training run shares, whatever the model family: :class:`RunConfig`.

A run is described by one settings object (cerulean-tiling's settings layer: pydantic,
unknown keys refused, strict types, ranges as field constraints), loaded from YAML, TOML
or JSON and overridden by flags; a bad value is one line naming the file and the key::

    train.yaml: unknown key 'epoch' (did you mean 'epochs'?)
    train.yaml: key 'lr': expected a number, got 'fast'

Each family adds its own settings beside its trainer (``unet/config.py``,
``maskrcnn/config.py``). The resolved config is saved
into the run folder as ``config.json`` with an ``arch`` key naming the family
(:mod:`cerulean_train.configs` reads it back).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, Field, field_validator

from cerulean_tiling import PRESETS
from cerulean_tiling.channels import VV, parse_channel
from cerulean_tiling.errors import ChannelError
from cerulean_tiling.settings import Settings, read_settings_file, save_settings
from cerulean_train.errors import ConfigError

Device = Literal["auto", "cpu", "cuda"]

CONFIG_NAME = "config.json"
"""What a run folder's resolved config is called."""


def _channel_list(value: Any) -> Any:
    """``vv,infra_distance`` (a flag) or a list (a file) → a tuple of channel names."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value) if isinstance(value, list) else value


Channels = Annotated[tuple[str, ...], BeforeValidator(_channel_list)]


class RunConfig(Settings):
    """What every training run needs, whatever the model family.

    Attributes:
        train: training dataset folder (a cerulean-coco dataset).
        val: validation dataset folder; metrics are computed on its whole tiles.
        channels: input channels in order, by the tiles' band names (``vv``,
            ``infra_distance``, ``vessel_density``) or ``constant`` (255 everywhere) /
            ``constant=V`` (V everywhere) for a band the tiles do not carry.
        classes_preset: class remap applied when annotations are loaded (``cloud4``:
            the serving model's 4 classes); None (or ``none``) keeps the dataset's
            categories.
        size: training image side in pixels (crop or resize; stages may override).
        epochs: training epochs (stages may override).
        batch_size: images per optimiser step and device, before accumulation.
        lr: peak learning rate of the one-cycle schedule.
        wd: weight decay.
        seed: seed of everything random (weights, order, crops, augmentation).
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        num_workers: data-loading worker processes (0: load in the main process).
        augment: random flips, affine and intensity jitter on training images.
        pretrained: start the backbone from cached ImageNet weights (never downloads).
        weights: start the whole model (or backbone) from this state-dict file.
        patience: stop after this many epochs without a better validation score
            (0: never stop early).
        grad_accum: accumulate gradients over this many batches per optimiser step.
        mixed_precision: train in float16 autocast on CUDA (ignored on CPU).
        negatives: use at most this many tiles without instances per epoch
            (None: all of them).
    """

    error: ClassVar[type[Exception]] = ConfigError
    arch: ClassVar[str] = ""

    train: str = ""
    val: str = ""
    channels: Channels = (VV,)
    classes_preset: str | None = "cloud4"
    size: Annotated[int, Field(ge=16, le=4096)] = 512
    epochs: Annotated[int, Field(ge=1)] = 10
    batch_size: Annotated[int, Field(ge=1)] = 8
    lr: Annotated[float, Field(gt=0.0, le=10.0)] = 1e-3
    wd: Annotated[float, Field(ge=0.0, le=10.0)] = 0.01
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    device: Device = "auto"
    num_workers: Annotated[int, Field(ge=0, le=256)] = 0
    augment: bool = False
    pretrained: bool = False
    weights: str | None = None
    patience: Annotated[int, Field(ge=0)] = 0
    grad_accum: Annotated[int, Field(ge=1)] = 1
    mixed_precision: bool = True
    negatives: Annotated[int | None, Field(ge=0)] = None

    @field_validator("classes_preset", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if value == "none":
            return None
        if isinstance(value, str) and value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; known: {', '.join(PRESETS)}")
        return value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one channel")
        for channel in value:
            try:
                parse_channel(channel)
            except ChannelError as exc:
                raise ValueError(str(exc)) from None
        return value

    @classmethod
    def load(cls, path: Path | str | None = None,
             overrides: Mapping[str, Any] | None = None) -> Self:
        """Read a config file (YAML, TOML or JSON by suffix) and apply ``overrides``.

        Overrides are already-typed values keyed by field name (None values are
        skipped), as the CLI passes its flags; they win over the file. A file may name
        its family (``arch``, as a saved run config does); another family's is refused.

        Raises:
            ConfigError: unreadable file, unknown key, wrong type or value out of range.
        """
        if path is None:
            return cls().override(overrides or {})
        data = read_settings_file(Path(path), ConfigError)
        if "arch" in data:
            if data["arch"] != cls.arch:
                raise ConfigError(f"{path}: key 'arch': {data['arch']!r} is not "
                                  f"{cls.arch!r} (a config for another trainer)")
            del data["arch"]
        return cls.from_dict(data, str(path)).override(overrides or {})

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists for tuples), with ``arch`` first."""
        return {"arch": self.arch, **super().to_dict()}

    def write(self, run_dir: Path) -> Path:
        """Save the resolved config into ``run_dir`` (``config.json``, the one saved
        settings form); returns its path."""
        path = run_dir / CONFIG_NAME
        save_settings(path, self.to_dict(), what="config")
        return path


__all__ = ["CONFIG_NAME", "Channels", "Device", "RunConfig"]
