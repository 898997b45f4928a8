"""The Mask R-CNN run config: :class:`RunConfig` plus the detector's own settings.

Defaults follow torchvision's Mask R-CNN recipe on a ResNet-50 FPN (SGD with momentum,
lr 0.01, weight decay 1e-4, one-cycle), at the serving tile size of 512 px with the
serving model's three channels, flips and a ±10° / ±5 % affine, and the production
instance area floor of 100 px. :meth:`MaskRCNNConfig.model_spec` turns a config into the
network's constructor arguments. This module imports no torch: the checks that need the
network's tables load it when a config is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from cerulean_tiling.channels import INFRA_DISTANCE, VESSEL_DENSITY, VV
from cerulean_tiling.settings import Items, key_error
from cerulean_train.config import Channels, RunConfig

if TYPE_CHECKING:
    from cerulean_train.maskrcnn.model import ModelSpec

Optimizer = Literal["sgd", "adamw"]
Monitor = Literal["val_loss", "segm_ap"]


class MaskRCNNConfig(RunConfig):
    """A Mask R-CNN run.

    Attributes:
        backbone: ``tiny`` (one basic block per ResNet stage; tests and CPU demos),
            ``resnet18``, ``resnet34``, ``resnet50``, ``resnet101`` or ``resnext101_32x8d``.
        trainable_layers: backbone stages that train, from the top (0–5); None: 3 with
            pretrained or file weights (torchvision's choice), 5 from scratch.
        fpn_channels: feature-pyramid width (and of the RPN and RoI heads' inputs).
        anchor_sizes: anchor side per FPN level (strides 4, 8, 16, 32, 64), in pixels.
        aspect_ratios: anchor height/width ratios at every level (slicks are long and
            thin: wider than torchvision's 0.5–2).
        mask_pool_size: side of the mask RoIAlign output (torchvision 14; the last
            production model used 56); the mask head keeps it, its predictor doubles it.
        box_pool_size: side of the box RoIAlign output.
        representation_size: width of the box head's two fully connected layers.
        mask_channels: channels of each mask-head convolution.
        min_area: instances with fewer mask pixels are dropped from the targets.
        optimizer: ``sgd`` (momentum 0.9) or ``adamw``.
        clip_grad: largest gradient norm (0: no clipping).
        monitor: what early stopping and the best checkpoint follow: ``val_loss``
            (lower is better) or ``segm_ap`` (COCO mask AP on the validation set).
        val_batch_size: validation images per forward pass.
        box_score_thresh: detections below this score are not returned.
        detections_per_img: most detections returned per image.
        box_batch_size_per_image: RoIs sampled per image for the box loss.
        rpn_pre_nms_top_n: proposals kept per level before NMS, [training, inference].
        rpn_post_nms_top_n: proposals kept after NMS, [training, inference].
    """

    arch: ClassVar[str] = "maskrcnn"

    channels: Channels = (VV, INFRA_DISTANCE, VESSEL_DENSITY)
    batch_size: Annotated[int, Field(ge=1)] = 4
    lr: Annotated[float, Field(gt=0.0, le=10.0)] = 0.01
    wd: Annotated[float, Field(ge=0.0, le=10.0)] = 1e-4
    augment: bool = True
    backbone: str = "resnet50"
    trainable_layers: Annotated[int | None, Field(ge=0, le=5)] = None
    fpn_channels: Annotated[int, Field(ge=1)] = 256
    anchor_sizes: Items[int] = (32, 64, 128, 256, 512)
    aspect_ratios: Items[float] = (0.25, 0.5, 1.0, 2.0, 4.0)
    mask_pool_size: Annotated[int, Field(ge=1, le=256)] = 14
    box_pool_size: Annotated[int, Field(ge=1, le=64)] = 7
    representation_size: Annotated[int, Field(ge=1)] = 1024
    mask_channels: Items[int] = (256, 256, 256, 256)
    min_area: Annotated[int, Field(ge=0)] = 100
    optimizer: Optimizer = "sgd"
    clip_grad: Annotated[float, Field(ge=0.0)] = 10.0
    monitor: Monitor = "val_loss"
    val_batch_size: Annotated[int, Field(ge=1)] = 2
    box_score_thresh: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    detections_per_img: Annotated[int, Field(ge=1)] = 100
    box_batch_size_per_image: Annotated[int, Field(ge=1)] = 512
    rpn_pre_nms_top_n: Items[int] = (2000, 1000)
    rpn_post_nms_top_n: Items[int] = (2000, 1000)

    @model_validator(mode="after")
    def _check(self) -> Self:
        from cerulean_train.maskrcnn.model import BACKBONES

        if self.backbone not in BACKBONES:
            raise key_error("backbone", f"unknown backbone {self.backbone!r}; known: "
                            f"{', '.join(BACKBONES)}")
        if len(self.channels) != 3:
            raise key_error("channels", f"a Mask R-CNN takes 3 channels, got "
                            f"{list(self.channels)} (fill with 'constant')")
        for key in ("rpn_pre_nms_top_n", "rpn_post_nms_top_n"):
            pair = getattr(self, key)
            if len(pair) != 2 or min(pair) < 1:
                raise key_error(key, "needs [training, inference] counts")
        self.model_spec(num_classes=2)
        return self

    def model_spec(self, num_classes: int) -> ModelSpec:
        """The network's constructor arguments for ``num_classes`` outputs (background
        included); tiles are not resized (``min_size = max_size = size``).

        Raises:
            ConfigError: settings the network cannot be built with.
        """
        from cerulean_train.maskrcnn.model import ModelSpec

        from_weights = self.pretrained or self.weights is not None
        trainable = self.trainable_layers
        if trainable is None:
            trainable = 3 if from_weights else 5
        return ModelSpec(
            backbone=self.backbone, num_classes=num_classes,
            norm="frozen" if from_weights else "batch", trainable_layers=trainable,
            fpn_channels=self.fpn_channels, anchor_sizes=self.anchor_sizes,
            aspect_ratios=self.aspect_ratios, box_pool_size=self.box_pool_size,
            mask_pool_size=self.mask_pool_size, representation_size=self.representation_size,
            mask_channels=self.mask_channels, min_size=self.size, max_size=self.size,
            box_score_thresh=self.box_score_thresh, detections_per_img=self.detections_per_img,
            box_batch_size_per_image=self.box_batch_size_per_image,
            rpn_pre_nms_top_n=(self.rpn_pre_nms_top_n[0], self.rpn_pre_nms_top_n[1]),
            rpn_post_nms_top_n=(self.rpn_post_nms_top_n[0], self.rpn_post_nms_top_n[1]),
        )


__all__ = ["MaskRCNNConfig", "Monitor", "Optimizer"]
