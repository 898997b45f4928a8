"""The UNet run config: :class:`RunConfig` plus the UNet's backbone, progressive-resizing
stages, crops, loss and monitored metric."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from cerulean_tiling.settings import Items, Settings
from cerulean_train.config import RunConfig
from cerulean_train.errors import ConfigError

CropMode = Literal["whole", "random", "slick"]
LossName = Literal["cross_entropy", "cross_entropy+dice"]
StageMode = Literal["frozen", "unfrozen"]


class Stage(Settings):
    """One progressive-resizing stage: train ``epochs`` epochs at ``size`` px.

    ``frozen`` trains only the decoder (the pretrained encoder stays fixed);
    ``unfrozen`` trains everything. A settings file may write a stage as
    ``[size, epochs]``, ``[size, epochs, mode]`` or a mapping.
    """

    error: ClassVar[type[Exception]] = ConfigError

    size: Annotated[int, Field(ge=16, le=4096)]
    epochs: Annotated[int, Field(ge=1)]
    mode: StageMode = "unfrozen"

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) not in (2, 3):
                raise ValueError(f"a stage is [size, epochs, frozen|unfrozen] or a mapping, "
                                 f"got {list(value)!r}")
            return dict(zip(("size", "epochs", "mode"), value, strict=False))
        return value


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
    stages: Items[Stage] = ()
    crop: CropMode = "whole"
    slick_bias: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8
    repeats: Annotated[int, Field(ge=1, le=10_000)] = 1
    val_batch_size: Annotated[int, Field(ge=1)] = 4
    monitor: str = "dice_multi"
    loss: LossName = "cross_entropy"

    @field_validator("monitor")
    @classmethod
    def _monitor(cls, value: str) -> str:
        if not (value in ("dice_multi", "oil_iou") or value.startswith("iou_")):
            raise ValueError(f"{value!r} is not dice_multi, oil_iou or iou_<class>")
        return value

    @property
    def schedule(self) -> tuple[Stage, ...]:
        """The stages to train: :attr:`stages`, or one stage of ``epochs`` at ``size``."""
        return self.stages or (Stage(size=self.size, epochs=self.epochs, mode="unfrozen"),)


__all__ = ["CropMode", "LossName", "Stage", "StageMode", "UNetConfig"]
