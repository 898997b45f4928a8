"""Both architectures end to end with tiny real models built here.

- UNet: a fastai DynamicUnet on a three-convolution encoder, trained a few dozen steps
  to mark dark pixels as oil, traced to TorchScript like cerulean-train exports it.
- Mask R-CNN: a torchvision MaskRCNN on a tiny backbone, randomly initialised and
  scripted; random detections exercise every merging step (score thresholds lowered).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from infer_doubles import TEST_TILE, manifest

from cerulean_infer import Predictor, predict_scene
from cerulean_infer.cli import main
from cerulean_tiling import SyntheticScene

torch.manual_seed(0)


def _tiny_unet() -> torch.nn.Module:
    from fastai.vision.models.unet import DynamicUnet

    def block(cin: int, cout: int) -> torch.nn.Module:
        return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, stride=2, padding=1),
                                   torch.nn.BatchNorm2d(cout), torch.nn.ReLU())

    encoder = torch.nn.Sequential(block(1, 8), block(8, 16), block(16, 32))
    return DynamicUnet(encoder, n_out=4, img_size=(TEST_TILE, TEST_TILE))


def _train_dark_is_oil(model: torch.nn.Module, steps: int = 30, size: int = 64) -> None:
    rng = np.random.default_rng(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        x = np.full((4, 1, size, size), 150, dtype=np.float32)
        for b in range(4):
            r, c = rng.integers(0, size - 24, 2)
            x[b, 0, r:r + 24, c:c + int(rng.integers(6, 24))] = 30
        target = torch.from_numpy((x[:, 0] < 90).astype(np.int64))
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x / 255)), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()


@pytest.fixture(scope="module")
def unet_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cerulean_infer.bundle import Runtime

    torch.manual_seed(0)
    model = _tiny_unet()
    _train_dark_is_oil(model)
    folder = tmp_path_factory.mktemp("unet") / "tiny-unet.bundle"
    folder.mkdir()
    with torch.no_grad():
        torch.jit.trace(model, torch.rand(1, 1, TEST_TILE, TEST_TILE)).save(
            str(folder / "model.ts"))
    torch.save(model.state_dict(), folder / "weights.pt")
    manifest(name="tiny-unet", backbone="dynamic-unet-3conv",
             runtime=Runtime("2.14.1", "0.29.1")).write(folder)
    return folder


def _tiny_maskrcnn() -> torch.nn.Module:
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.ops import MultiScaleRoIAlign

    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, stride=4, padding=1),
                                   torch.nn.ReLU())
    backbone.out_channels = 16  # type: ignore[assignment]
    return MaskRCNN(
        backbone, num_classes=4, min_size=TEST_TILE, max_size=TEST_TILE,
        rpn_anchor_generator=AnchorGenerator(((16, 32, 64),), ((0.5, 1.0, 2.0),)),
        box_roi_pool=MultiScaleRoIAlign(["0"], 7, 2),
        mask_roi_pool=MultiScaleRoIAlign(["0"], 14, 2),
        rpn_pre_nms_top_n_test=20, rpn_post_nms_top_n_test=8, box_detections_per_img=3,
        box_score_thresh=0.0,
    )


@pytest.fixture(scope="module")
def maskrcnn_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cerulean_infer.bundle import Runtime

    torch.manual_seed(0)
    model = _tiny_maskrcnn().eval()
    folder = tmp_path_factory.mktemp("maskrcnn") / "tiny-maskrcnn.bundle"
    folder.mkdir()
    torch.jit.script(model).save(str(folder / "model.ts"))
    torch.save(model.state_dict(), folder / "weights.pt")
    manifest(name="tiny-maskrcnn", arch="maskrcnn", backbone="conv1",
             channels=("vv", "constant", "constant=0"), postprocess="maskrcnn-serving",
             runtime=Runtime("2.14.1", "0.29.1")).write(folder)
    return folder


def test_tiny_fastai_unet_end_to_end(unet_bundle: Path, small_scenes: list[SyntheticScene],
                                     tmp_path: Path) -> None:
    predictor = Predictor.from_bundle(unet_bundle)
    for merge in ("ours", "serving"):
        result = predict_scene(predictor, small_scenes[0].path, merge=merge)
        assert result.slicks, merge
    out = tmp_path / "unet.geojson"
    assert main(["predict", str(small_scenes[0].path), "--bundle", str(unet_bundle),
                 "-o", str(out), "--no-progress"]) == 0
    assert json.loads(out.read_text())["features"]


def test_tiny_maskrcnn_end_to_end(maskrcnn_bundle: Path, small_scenes: list[SyntheticScene],
                                  tmp_path: Path) -> None:
    predictor = Predictor.from_bundle(maskrcnn_bundle)
    batch = np.full((2, 3, TEST_TILE, TEST_TILE), 120, dtype=np.uint8)
    found = predictor.predict_tiles(batch).instances
    assert found is not None and len(found) == 2 and found[0]
    first = found[0][0]
    assert first.mask.shape == (TEST_TILE, TEST_TILE) and 1 <= first.label <= 3
    low = {"bbox_score_thresh": 0.0, "pixel_score_thresh": 0.0}
    result = predict_scene(predictor, small_scenes[0].path, tilesets=1, thresholds=low)
    assert result.probabilities is None
    assert result.slicks
    for slick in result.slicks:
        assert slick.class_name in manifest().classes[1:] and slick.geometry.is_valid
    out = tmp_path / "maskrcnn.geojson"
    assert main(["predict", str(small_scenes[0].path), "--bundle", str(maskrcnn_bundle),
                 "-o", str(out), "--merge", "serving", "--no-progress", "--tilesets", "2",
                 "--threshold", "bbox_score_thresh=0", "--threshold",
                 "pixel_score_thresh=0"]) == 0
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
