"""Export round trips: the scripted model.ts gives the eager model's detections."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from cerulean_infer import BundleManifest, ServingRow
from cerulean_train.engine import TrainResult
from cerulean_train.errors import ExportError
from cerulean_train.export import export_bundle, sample_tiles
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.maskrcnn.model import build
from cerulean_train.runtime import RuntimeTarget, ensure_runtime, find_runtime, verify_unet


def _eager(run: Path) -> tuple[torch.nn.Module, MaskRCNNConfig]:
    from cerulean_train.configs import read_run_config

    config = read_run_config(run)
    assert isinstance(config, MaskRCNNConfig)
    summary = json.loads((run / "run.json").read_text())
    model = build(config.model_spec(len(summary["classes"])))
    model.load_state_dict(torch.load(run / "weights.pt", weights_only=True))
    return model.eval(), config


def _assert_same(run: Path, bundle: Path) -> None:
    model, config = _eager(run)
    tiles = list(sample_tiles(config, 2, config.size))
    scripted = torch.jit.load(str(bundle / "model.ts"), map_location="cpu")
    with torch.no_grad():
        expected = model(tiles)
        got = scripted(tiles)[1]
    for a, b in zip(got, expected, strict=True):
        assert a["boxes"].shape == b["boxes"].shape
        assert torch.equal(a["labels"], b["labels"])
        assert torch.allclose(a["scores"], b["scores"], atol=1e-5)
        assert torch.allclose(a["masks"], b["masks"], atol=1e-5)
        assert a["masks"].shape[1:] == (1, *tiles[0].shape[1:])


def test_workspace_round_trip(trained: TrainResult, tmp_path: Path) -> None:
    bundle = tmp_path / "mrcnn.bundle"
    result = export_bundle(trained.run_dir, bundle, runtime="workspace")
    manifest = BundleManifest.read(bundle)
    assert manifest.arch == "maskrcnn" and manifest.backbone == "tiny"
    assert manifest.runtime.torch == torch.__version__.split("+")[0]
    assert manifest.runtime.verified
    assert ServingRow.read(bundle / "cerulean-cloud-model.json").type == "MASKRCNN"
    assert result.checks and "== eager" in result.checks[0]
    _assert_same(trained.run_dir, bundle)


def test_disagreement_fails_the_export(trained: TrainResult, tmp_path: Path) -> None:
    from cerulean_train.maskrcnn._runtime_script import compare_detections

    model, config = _eager(trained.run_dir)
    with torch.no_grad():
        found = model(list(sample_tiles(config, 1, config.size)))
    moved = [{**d, "scores": d["scores"] + 0.01} for d in found]
    assert compare_detections(found, found, 1e-4) is None
    problem = compare_detections(moved, found, 1e-4)
    assert problem is not None and "scores differ" in problem
    fewer = [{k: v[:0] for k, v in d.items()} for d in found]
    if len(found[0]["boxes"]):
        assert "detections" in str(compare_detections(fewer, found, 1e-4))


SERVING = RuntimeTarget.parse("torch==2.0.1")
needs_runtime = pytest.mark.skipif(
    find_runtime(SERVING) is None and os.environ.get("CERULEAN_RUNTIME_TESTS") != "1",
    reason="the torch 2.0.1 runtime venv does not exist (create it with "
           "`python -m cerulean_train runtime ensure`, or set CERULEAN_RUNTIME_TESTS=1)")


@needs_runtime
def test_serving_runtime_export(trained: TrainResult, tmp_path: Path) -> None:
    bundle = tmp_path / "serving.bundle"
    export_bundle(trained.run_dir, bundle)
    manifest = BundleManifest.read(bundle)
    assert (manifest.runtime.torch, manifest.runtime.torchvision) == ("2.0.1", "0.15.2")
    assert manifest.runtime.verified
    _assert_same(trained.run_dir, bundle)


@needs_runtime
def test_serving_runtime_checks_a_traced_unet(tmp_path: Path) -> None:
    ensure_runtime(SERVING)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Upsample(scale_factor=2, mode="bilinear"),
                              torch.nn.Conv2d(8, 4, 3, stride=2, padding=1)).eval()
    inputs = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        expected = net(inputs)
    traced = torch.jit.trace(net, inputs)
    traced.save(str(tmp_path / "model.ts"))
    env = verify_unet(tmp_path / "model.ts", inputs, expected)
    assert env is not None and env.torch == "2.0.1"
    with pytest.raises(ExportError, match="logits differ"):
        verify_unet(tmp_path / "model.ts", inputs, expected + 1)


def test_verify_unet_without_the_venv_runs_nothing(tmp_path: Path) -> None:
    assert verify_unet(tmp_path / "missing.ts", torch.zeros(1), torch.zeros(1),
                       runtime_dir=tmp_path / "none") is None


