"""Build, script and check models inside the serving runtime (torch 2.0.1 / torchvision 0.15.2).

This file is both a module of cerulean-train and a standalone script: the workspace
builds its Mask R-CNN with :func:`build_model`, and the export runs this same file with
the serving runtime's Python, where it rebuilds the model from the same JSON of
constructor arguments, loads the trained weights, scripts it and compares the scripted
model's detections with the eager ones the workspace computed. It therefore imports only
torch, torchvision, json and sys, and uses only constructor arguments that torchvision
0.15.2 already has.

Usage (by cerulean-train, not by people)::

    python _runtime_script.py JOB.json

``JOB.json`` holds ``{"mode": "versions" | "script-maskrcnn" | "check-unet", ...}``; the
script prints one JSON object on its last stdout line: ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import torch
import torchvision
from torch import Tensor, nn
from torchvision.models import resnet
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.rpn import RPNHead
from torchvision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

BACKBONES = ("tiny", "resnet18", "resnet34", "resnet50", "resnet101", "resnext101_32x8d")
"""Backbone names :func:`build_model` knows. ``tiny`` is :class:`TinyResNet` (for tests
and CPU demos)."""

TINY_WIDTHS = (16, 32, 64, 128)

FEATURE_MAPS = ("0", "1", "2", "3")
"""FPN levels the RoI heads pool from (strides 4–32); the RPN also sees ``pool`` (64)."""


class TinyResNet(nn.Module):
    """A ResNet body an eighth as wide as ResNet-18 with one basic block per stage
    (stage widths :data:`TINY_WIDTHS`, ~0.3 M parameters), laid out like torchvision's
    ResNet (``conv1``, ``bn1``, ``relu``, ``maxpool``, ``layer1``–``layer4``) so the
    same FPN wraps it. It trains in minutes on a CPU: the demo and test backbone."""

    def __init__(self, norm_layer: Any) -> None:
        super().__init__()
        first = TINY_WIDTHS[0]
        self.conv1 = nn.Conv2d(3, first, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = norm_layer(first)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stages = []
        inplanes = first
        for i, width in enumerate(TINY_WIDTHS):
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or inplanes != width:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, width, kernel_size=1, stride=stride, bias=False),
                    norm_layer(width))
            stages.append(nn.Sequential(resnet.BasicBlock(inplanes, width, stride, downsample,
                                                          norm_layer=norm_layer)))
            inplanes = width
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.inplanes = inplanes

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out: Tensor = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return out


def _resnet(name: str, norm_layer: Any) -> nn.Module:
    if name == "tiny":
        return TinyResNet(norm_layer)
    constructor = getattr(resnet, name)
    model: nn.Module = constructor(weights=None, norm_layer=norm_layer)
    return model


def build_backbone(spec: dict[str, Any]) -> BackboneWithFPN:
    """The ResNet + FPN feature extractor of ``spec`` (random weights).

    Stages beyond ``spec["trainable_layers"]`` (counted from the top: layer4, layer3, ...,
    conv1) do not train, as in torchvision's own detection backbones.
    """
    norm_layer = FrozenBatchNorm2d if spec["norm"] == "frozen" else nn.BatchNorm2d
    body = _resnet(str(spec["backbone"]), norm_layer)
    trainable = int(spec["trainable_layers"])
    layers = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable]
    if trainable == 5:
        layers.append("bn1")
    for name, parameter in body.named_parameters():
        if not any(name.startswith(layer) for layer in layers):
            parameter.requires_grad_(False)
    # Every ResNet doubles its width per stage, ending at ``inplanes``.
    last: int = getattr(body, "inplanes")  # noqa: B009 - an int attribute of nn.Module
    return BackboneWithFPN(
        body,
        return_layers={f"layer{i + 1}": FEATURE_MAPS[i] for i in range(4)},
        in_channels_list=[last // 2 ** (3 - i) for i in range(4)],
        out_channels=int(spec["fpn_channels"]),
        extra_blocks=LastLevelMaxPool(),
    )


def build_model(spec: dict[str, Any]) -> MaskRCNN:
    """A torchvision Mask R-CNN from a JSON-ready dict of constructor arguments.

    Keys: ``backbone`` (one of :data:`BACKBONES`), ``num_classes`` (background
    included), ``norm`` (``batch`` or ``frozen``), ``trainable_layers`` (0–5),
    ``fpn_channels``, ``anchor_sizes`` (one per FPN level, 5), ``aspect_ratios``,
    ``box_pool_size``, ``mask_pool_size`` (the mask RoIAlign output side; the mask head
    keeps it and its predictor doubles it), ``representation_size`` (box head width),
    ``mask_channels`` (one entry per mask-head conv), ``min_size``/``max_size`` (the
    transform's resize bounds: equal to the tile side, tiles are not resized),
    ``image_mean``/``image_std`` (applied to the 0–1 inputs), ``box_score_thresh``,
    ``box_nms_thresh``, ``detections_per_img``, ``rpn_pre_nms_top_n`` and
    ``rpn_post_nms_top_n`` (``[training, inference]`` proposals kept per FPN level before
    NMS and in all after it) and ``box_batch_size_per_image`` (RoIs sampled per image for
    the box loss); small tiles need far fewer than torchvision's defaults for 800-px images.
    """
    backbone = build_backbone(spec)
    channels = int(spec["fpn_channels"])
    ratios = tuple(float(r) for r in spec["aspect_ratios"])
    sizes = tuple((int(s),) for s in spec["anchor_sizes"])
    anchors = AnchorGenerator(sizes=sizes, aspect_ratios=(ratios,) * len(sizes))
    box_pool = int(spec["box_pool_size"])
    mask_pool = int(spec["mask_pool_size"])
    representation = int(spec["representation_size"])
    mask_channels = [int(c) for c in spec["mask_channels"]]
    num_classes = int(spec["num_classes"])
    return MaskRCNN(
        backbone,
        num_classes=None,
        min_size=int(spec["min_size"]),
        max_size=int(spec["max_size"]),
        image_mean=[float(v) for v in spec["image_mean"]],
        image_std=[float(v) for v in spec["image_std"]],
        rpn_anchor_generator=anchors,
        rpn_head=RPNHead(channels, len(ratios)),
        box_roi_pool=MultiScaleRoIAlign(list(FEATURE_MAPS), box_pool, 2),
        box_head=TwoMLPHead(channels * box_pool**2, representation),
        box_predictor=FastRCNNPredictor(representation, num_classes),
        box_score_thresh=float(spec["box_score_thresh"]),
        box_nms_thresh=float(spec["box_nms_thresh"]),
        box_detections_per_img=int(spec["detections_per_img"]),
        box_batch_size_per_image=int(spec["box_batch_size_per_image"]),
        rpn_pre_nms_top_n_train=int(spec["rpn_pre_nms_top_n"][0]),
        rpn_pre_nms_top_n_test=int(spec["rpn_pre_nms_top_n"][1]),
        rpn_post_nms_top_n_train=int(spec["rpn_post_nms_top_n"][0]),
        rpn_post_nms_top_n_test=int(spec["rpn_post_nms_top_n"][1]),
        mask_roi_pool=MultiScaleRoIAlign(list(FEATURE_MAPS), mask_pool, 2),
        mask_head=MaskRCNNHeads(channels, mask_channels, 1),
        mask_predictor=MaskRCNNPredictor(mask_channels[-1], mask_channels[-1], num_classes),
    )


def compare_detections(got: list[dict[str, Tensor]], expected: list[dict[str, Tensor]],
                       atol: float) -> str | None:
    """Why two lists of detections disagree, or None when they agree.

    Boxes (pixels) must agree within ``atol * 100``, scores and mask probabilities
    within ``atol``, labels exactly, with the same number of detections per image.
    """
    if len(got) != len(expected):
        return f"{len(got)} images of detections, expected {len(expected)}"
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        if a["boxes"].shape[0] != b["boxes"].shape[0]:
            return f"sample {i}: {a['boxes'].shape[0]} detections, expected {b['boxes'].shape[0]}"
        if not torch.equal(a["labels"], b["labels"]):
            return f"sample {i}: labels differ"
        for key, tol in (("boxes", atol * 100), ("scores", atol), ("masks", atol)):
            if a[key].shape != b[key].shape:
                return f"sample {i}: {key} shape {list(a[key].shape)} != {list(b[key].shape)}"
            if a[key].numel():
                diff = float((a[key] - b[key]).abs().max())
                if diff > tol:
                    return f"sample {i}: {key} differ by {diff:.3g} (tolerance {tol:.3g})"
    return None


def _script_maskrcnn(job: dict[str, Any]) -> dict[str, Any]:
    model = build_model(job["spec"])
    model.load_state_dict(torch.load(job["weights"], map_location="cpu", weights_only=True))
    model.eval()
    scripted = torch.jit.script(model)
    scripted.save(job["output"])
    loaded = torch.jit.load(  # type: ignore[no-untyped-call]
        job["output"], map_location="cpu")
    samples = torch.load(job["samples"], map_location="cpu", weights_only=True)
    with torch.no_grad():
        detections = loaded(list(samples["inputs"]))[1]
    problem = compare_detections(detections, samples["expected"], float(job["atol"]))
    if problem is not None:
        return {"ok": False, "error": f"scripted model disagrees with the eager one: {problem}"}
    return {"ok": True, "detections": [int(d["boxes"].shape[0]) for d in detections]}


def _check_unet(job: dict[str, Any]) -> dict[str, Any]:
    loaded = torch.jit.load(  # type: ignore[no-untyped-call]
        job["model"], map_location="cpu")
    samples = torch.load(job["samples"], map_location="cpu", weights_only=True)
    with torch.no_grad():
        logits = loaded(samples["inputs"])
    expected = samples["expected"]
    if logits.shape != expected.shape:
        return {"ok": False, "error": f"logits shape {list(logits.shape)}, expected "
                                      f"{list(expected.shape)}"}
    diff = float((logits - expected).abs().max())
    if diff > float(job["atol"]):
        return {"ok": False, "error": f"logits differ by {diff:.3g} (tolerance {job['atol']})"}
    return {"ok": True, "max_diff": diff}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job; the result always carries the runtime's torch and torchvision."""
    modes = {"script-maskrcnn": _script_maskrcnn, "check-unet": _check_unet}
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    mode = job.get("mode")
    if mode == "versions":
        return {"ok": True, **versions}
    if mode not in modes:
        return {"ok": False, "error": f"unknown mode {mode!r}", **versions}
    try:
        return {**modes[mode](job), **versions}
    except Exception as exc:
        message = str(exc).strip().splitlines()
        first = message[0] if message else ""
        return {"ok": False, "error": f"{type(exc).__name__}: {first}", **versions}


def main(argv: list[str]) -> int:
    """Read the job file named by ``argv[1]``, print the result as one JSON line."""
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    torch.set_num_threads(int(job.get("threads", 1)))
    result = run_job(job)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
