"""Typed training configs: loaded from YAML, TOML or JSON, overridden by flags, validated.

A run is described by one config object. :class:`RunConfig` holds what every model
family shares (datasets, channels, classes, schedule, device, checkpointing);
:class:`UNetConfig` adds the UNet's backbone, progressive-resizing stages and crop
mode, and the Mask R-CNN trainer subclasses :class:`RunConfig` the same way. A config
is checked field by field against its annotations, so a typo, a wrong type or a value
out of range fails with one line naming the file and the key::

    train.yaml: unknown key 'epoch' (did you mean 'epochs'?)
    train.yaml: key 'lr': expected a number, got 'fast'
    --batch-size: key 'batch_size': 0 is out of range (must be >= 1)

The resolved config is written into the run folder (``config.yaml``, or
``config.json`` without PyYAML) with an ``arch`` key naming the family, so a run folder
alone says how it was made and :func:`read_run_config` rebuilds the exact object.
"""

from __future__ import annotations

import difflib
import importlib
import json
import tomllib
import types
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin, get_type_hints

from cerulean_tiling import PRESETS
from cerulean_tiling.atomic import write_text
from cerulean_tiling.channels import VV, parse_channel
from cerulean_tiling.errors import ChannelError
from cerulean_tiling.jsonio import write_json
from cerulean_train.errors import ConfigError

Device = Literal["auto", "cpu", "cuda"]
CropMode = Literal["whole", "random", "slick"]
LossName = Literal["cross_entropy", "cross_entropy+dice"]
StageMode = Literal["frozen", "unfrozen"]

CONFIG_NAMES = ("config.yaml", "config.json")
"""What a run folder's resolved config is called (YAML when PyYAML is installed)."""

_CONFIG_CLASSES = {
    "unet": "cerulean_train.config:UNetConfig",
    "maskrcnn": "cerulean_train.maskrcnn.config:MaskRCNNConfig",
}


@dataclass(frozen=True)
class Stage:
    """One progressive-resizing stage: train ``epochs`` epochs at ``size`` px.

    ``frozen`` trains only the decoder (the pretrained encoder stays fixed);
    ``unfrozen`` trains everything.
    """

    size: int
    epochs: int
    mode: StageMode = "unfrozen"

    _ranges: ClassVar[dict[str, tuple[float, float | None]]] = {
        "size": (16, 4096), "epochs": (1, None),
    }


@dataclass(frozen=True)
class RunConfig:
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

    arch: ClassVar[str] = ""

    train: str = ""
    val: str = ""
    channels: tuple[str, ...] = (VV,)
    classes_preset: str | None = "cloud4"
    size: int = 512
    epochs: int = 10
    batch_size: int = 8
    lr: float = 1e-3
    wd: float = 0.01
    seed: int = 0
    device: Device = "auto"
    num_workers: int = 0
    augment: bool = False
    pretrained: bool = False
    weights: str | None = None
    patience: int = 0
    grad_accum: int = 1
    mixed_precision: bool = True
    negatives: int | None = None

    _ranges: ClassVar[dict[str, tuple[float, float | None]]] = {
        "size": (16, 4096), "epochs": (1, None), "batch_size": (1, None),
        "lr": (0.0, 10.0), "wd": (0.0, 10.0), "seed": (0, 2**32 - 1),
        "num_workers": (0, 256), "patience": (0, None), "grad_accum": (1, None),
        "negatives": (0, None),
    }

    def __post_init__(self) -> None:
        if self.classes_preset == "none":
            object.__setattr__(self, "classes_preset", None)
        self.check()

    def check(self, where: str = "config") -> None:
        """Raise :class:`ConfigError` (naming ``where``) for a value out of range."""
        _check_ranges(self, where)
        if self.lr <= 0:
            raise ConfigError(f"{where}: key 'lr': {self.lr} is out of range (must be > 0)")
        if not self.channels:
            raise ConfigError(f"{where}: key 'channels': needs at least one channel")
        for channel in self.channels:
            try:
                parse_channel(channel)
            except ChannelError as exc:
                raise ConfigError(f"{where}: key 'channels': {exc}") from None
        if self.classes_preset is not None and self.classes_preset not in PRESETS:
            raise ConfigError(f"{where}: key 'classes_preset': unknown preset "
                              f"{self.classes_preset!r}; known: {', '.join(PRESETS)}")

    @classmethod
    def load(cls, path: Path | str | None = None,
             overrides: Mapping[str, Any] | None = None) -> Self:
        """Read a config file (YAML, TOML or JSON by suffix) and apply ``overrides``.

        Overrides are already-typed values keyed by field name (None values are
        skipped), as the CLI passes its flags; they win over the file.

        Raises:
            ConfigError: unreadable file, unknown key, wrong type or value out of range.
        """
        data: dict[str, Any] = {}
        where = "config"
        if path is not None:
            where = str(path)
            data = read_mapping(Path(path))
            if "arch" in data:
                if data["arch"] != cls.arch:
                    raise ConfigError(f"{where}: key 'arch': {data['arch']!r} is not "
                                      f"{cls.arch!r} (a config for another trainer)")
                del data["arch"]
        config = cls.from_mapping(data, where)
        return config.override(overrides or {})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "config") -> Self:
        """Build a config from plain data (a parsed file), checking every key.

        Raises:
            ConfigError: unknown key, wrong type or value out of range.
        """
        known = {f.name: f for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, known)}")
        hints = get_type_hints(cls)
        values = {key: _coerce(value, hints[key], where, key) for key, value in data.items()}
        try:
            config = cls(**values)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("config:", f"{where}:", 1)) from None
        config.check(where)
        return config

    def override(self, overrides: Mapping[str, Any], where: str = "command line") -> Self:
        """A copy with the non-None ``overrides`` applied and checked."""
        values = {k: v for k, v in overrides.items() if v is not None}
        if not values:
            return self
        hints = get_type_hints(type(self))
        known = {f.name for f in fields(self)}
        for key in values:
            if key not in known:
                raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, known)}")
        typed = {k: _coerce(v, hints[k], where, k) for k, v in values.items()}
        try:
            config = replace(self, **typed)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("config:", f"{where}:", 1)) from None
        return config

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists for tuples), with ``arch`` first."""
        return {"arch": self.arch, **_plain(asdict(self))}

    def write(self, run_dir: Path) -> Path:
        """Write the resolved config into ``run_dir`` atomically; returns its path."""
        try:
            import yaml
        except ImportError:
            path = run_dir / CONFIG_NAMES[1]
            write_json(path, self.to_dict(), indent=2, what="config")
            return path
        path = run_dir / CONFIG_NAMES[0]
        write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False), what="config")
        return path

    def differences(self, other: RunConfig) -> list[str]:
        """Names of the keys whose values differ between two configs."""
        mine, theirs = self.to_dict(), other.to_dict()
        return sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))


@dataclass(frozen=True)
class UNetConfig(RunConfig):
    """A UNet run: the production recipe (CrossEntropy, DiceMulti, one-cycle at lr 1e-3,
    wd 0.01, gradient accumulation, mixed precision on CUDA) is the default.

    Attributes:
        backbone: ``resnet18``, ``resnet34``, ``resnet50`` or ``xresnet18_narrow`` (fastai
            xresnet18 at a quarter width, ~3 M parameters: the CPU demo and test model).
        stages: progressive resizing, trained in order; empty means one unfrozen stage
            of ``epochs`` at ``size``.
        crop: ``whole`` (whole tiles, resized to the stage size), ``random`` (random
            crops of the stage size) or ``slick`` (random crops centred on a slick pixel
            with probability ``slick_bias``, else anywhere).
        slick_bias: probability that a ``slick`` crop is centred on an instance pixel.
        repeats: training items per tile and epoch (distinct crops with ``random`` and
            ``slick``): longer epochs between validations.
        val_batch_size: whole validation tiles per forward pass.
        monitor: the validation metric early stopping and the exported weights follow
            (``dice_multi``, ``oil_iou`` or ``iou_<class>``; higher is better).
        loss: ``cross_entropy`` (production) or ``cross_entropy+dice``: cross-entropy
            plus the soft Dice loss of the oil classes, which keeps a model that sees
            slicks on a few per cent of its pixels from settling on all-background
            while data and steps are few (the CPU demo).
    """

    arch: ClassVar[str] = "unet"

    backbone: str = "resnet34"
    stages: tuple[Stage, ...] = ()
    crop: CropMode = "whole"
    slick_bias: float = 0.8
    repeats: int = 1
    val_batch_size: int = 4
    monitor: str = "dice_multi"
    loss: LossName = "cross_entropy"

    _ranges: ClassVar[dict[str, tuple[float, float | None]]] = {
        **RunConfig._ranges, "slick_bias": (0.0, 1.0), "val_batch_size": (1, None),
        "repeats": (1, 10_000),
    }

    def check(self, where: str = "config") -> None:
        super().check(where)
        if not self.monitor or not (self.monitor in ("dice_multi", "oil_iou")
                                    or self.monitor.startswith("iou_")):
            raise ConfigError(f"{where}: key 'monitor': {self.monitor!r} is not dice_multi, "
                              "oil_iou or iou_<class>")
        for i, stage in enumerate(self.stages):
            _check_ranges(stage, f"{where}: stages[{i}]")

    @property
    def schedule(self) -> tuple[Stage, ...]:
        """The stages to train: :attr:`stages`, or one stage of ``epochs`` at ``size``."""
        return self.stages or (Stage(self.size, self.epochs, "unfrozen"),)


def read_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML (``.yaml``/``.yml``), TOML or JSON file holding one mapping.

    Raises:
        ConfigError: missing file, unknown suffix, syntax error or not a mapping.
    """
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable ({exc})") from None
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"{path}: unknown config format {suffix!r} "
                              "(use .yaml, .yml, .toml or .json)")
    except ConfigError:
        raise
    except Exception as exc:  # every parser's syntax error becomes one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path}: not valid {suffix[1:].upper()} ({first})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return data


def config_class(arch: str) -> type[RunConfig]:
    """The config class of a model family (``unet``, ``maskrcnn``).

    Raises:
        ConfigError: an unknown family, or one whose trainer is not installed.
    """
    target = _CONFIG_CLASSES.get(arch)
    if target is None:
        raise ConfigError(f"unknown arch {arch!r}; known: {', '.join(_CONFIG_CLASSES)}")
    module, _, name = target.partition(":")
    try:
        cls: type[RunConfig] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise ConfigError(f"arch {arch!r}: its trainer ({module}) is not available") from None
    return cls


def find_run_config(run_dir: Path) -> Path:
    """The resolved config file of a run folder.

    Raises:
        ConfigError: the folder holds none.
    """
    for name in CONFIG_NAMES:
        if (run_dir / name).is_file():
            return run_dir / name
    raise ConfigError(f"{run_dir}: not a training run (no {' or '.join(CONFIG_NAMES)})")


def read_run_config(run_dir: Path) -> RunConfig:
    """Rebuild the config a run folder was trained with (its class from ``arch``).

    Raises:
        ConfigError: no config there, or one that does not parse.
    """
    path = find_run_config(run_dir)
    data = read_mapping(path)
    arch = data.pop("arch", None)
    if not isinstance(arch, str):
        raise ConfigError(f"{path}: missing key 'arch'")
    return config_class(arch).from_mapping(data, str(path))


def _suggest(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_ranges(obj: Any, where: str) -> None:
    for key, (low, high) in obj._ranges.items():
        value = getattr(obj, key)
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            bound = f"in {low}-{high}" if high is not None else f">= {low}"
            raise ConfigError(f"{where}: key {key!r}: {value} is out of range (must be {bound})")


def _type_name(kind: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _coerce(value: Any, kind: Any, where: str, key: str) -> Any:
    """Check ``value`` against the annotation ``kind``; convert lists to tuples and
    mappings/lists to :class:`Stage`. Raises ConfigError naming ``where`` and ``key``."""
    origin = get_origin(kind)
    args = get_args(kind)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: key {key!r}: {value!r} is not one of "
                              f"{', '.join(map(str, args))}")
        return value
    if origin is tuple:
        if isinstance(value, str) and args[0] is str:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: key {key!r}: expected a list, got {value!r}")
        return tuple(_coerce(v, args[0], where, key) for v in value)
    if kind is Stage:
        return _stage(value, where, key)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: key {key!r}: expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: key {key!r}: expected an integer, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: key {key!r}: expected a number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: key {key!r}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: key {key!r}: cannot read a {_type_name(kind)}")


def _stage(value: Any, where: str, key: str) -> Stage:
    if isinstance(value, Stage):
        return value
    if isinstance(value, (list, tuple)) and len(value) in (2, 3):
        value = dict(zip(("size", "epochs", "mode"), value, strict=False))
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: key {key!r}: a stage is [size, epochs, frozen|unfrozen] "
                          f"or a mapping, got {value!r}")
    hints = get_type_hints(Stage)
    for name in value:
        if name not in hints or name.startswith("_"):
            raise ConfigError(f"{where}: key {key!r}: unknown stage key {name!r}")
    missing = [f.name for f in fields(Stage) if f.default is MISSING and f.name not in value]
    if missing:
        raise ConfigError(f"{where}: key {key!r}: a stage needs {missing[0]!r}")
    return Stage(**{k: _coerce(v, hints[k], where, f"{key}.{k}") for k, v in value.items()})


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


__all__ = [
    "CONFIG_NAMES",
    "CropMode",
    "Device",
    "LossName",
    "RunConfig",
    "Stage",
    "StageMode",
    "UNetConfig",
    "config_class",
    "find_run_config",
    "read_mapping",
    "read_run_config",
]
