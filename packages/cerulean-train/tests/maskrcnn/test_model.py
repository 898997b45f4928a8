"""The network's constructor: backbones, anchors, mask pooling, weights, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cerulean_train.errors import BackboneError, ConfigError
from cerulean_train.maskrcnn.model import ModelSpec, build, load_backbone_weights, make_model

SMALL = {"fpn_channels": 16, "representation_size": 32, "mask_channels": (16,),
         "min_size": 64, "max_size": 64, "detections_per_img": 5,
         "rpn_pre_nms_top_n": (50, 50), "rpn_post_nms_top_n": (50, 50)}


def test_spec_round_trips_through_json() -> None:
    spec = ModelSpec(backbone="tiny", num_classes=3, **SMALL)  # type: ignore[arg-type]
    assert ModelSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize("backbone", ["tiny", "resnet18"])
def test_backbones_detect_at_the_input_size(backbone: str) -> None:
    torch.manual_seed(0)
    spec = ModelSpec(backbone=backbone, num_classes=4, mask_pool_size=7,
                     aspect_ratios=(0.2, 1.0, 5.0), **SMALL)  # type: ignore[arg-type]
    model = build(spec).eval()
    assert model.rpn.head.cls_logits.out_channels == 3
    assert model.roi_heads.mask_roi_pool.output_size == (7, 7)
    with torch.no_grad():
        found = model([torch.rand(3, 64, 64)])[0]
    assert found["masks"].shape[1:] == (1, 64, 64)
    assert len(found["boxes"]) <= 5


def test_mask_pool_size_sets_the_mask_resolution() -> None:
    model = build(ModelSpec(backbone="tiny", mask_pool_size=56, **SMALL))  # type: ignore[arg-type]
    features = torch.zeros(1, 16, 56, 56)
    logits = model.roi_heads.mask_predictor(model.roi_heads.mask_head(features))
    assert logits.shape[-2:] == (112, 112)


@pytest.mark.parametrize(("changes", "error"), [
    ({"backbone": "vgg16"}, BackboneError),
    ({"anchor_sizes": (8, 16)}, ConfigError),
    ({"aspect_ratios": (0.0, 1.0)}, ConfigError),
    ({"norm": "group"}, ConfigError),
    ({"num_classes": 1}, ConfigError),
])
def test_impossible_specs(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        ModelSpec(**{**SMALL, **changes})  # type: ignore[arg-type]


def test_backbone_weights_from_a_file(tmp_path: Path) -> None:
    spec = ModelSpec(backbone="tiny", **SMALL)  # type: ignore[arg-type]
    torch.manual_seed(1)
    source = build(spec)
    path = tmp_path / "body.pt"
    torch.save(source.backbone.body.state_dict(), path)
    torch.manual_seed(2)
    target = make_model(spec, weights=path)
    for key, tensor in source.backbone.body.state_dict().items():
        assert torch.equal(tensor, target.backbone.body.state_dict()[key])
    other = ModelSpec(backbone="resnet18", **SMALL)  # type: ignore[arg-type]
    with pytest.raises(BackboneError, match="do not fit"):
        make_model(other, weights=path)


def test_pretrained_never_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model = build(ModelSpec(backbone="resnet18", **SMALL))  # type: ignore[arg-type]
    with pytest.raises(BackboneError, match="nothing is downloaded"):
        load_backbone_weights(model, "resnet18", pretrained=True)
    with pytest.raises(BackboneError, match="no pretrained weights"):
        load_backbone_weights(model, "tiny", pretrained=True)
