"""Export round trip: model.ts == eager, weights_only weights, ONNX == torch, the manifests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cerulean_infer import BundleManifest, ServingRow
from cerulean_train.errors import OutputError
from cerulean_train.export import export_bundle
from cerulean_train.export.unet import eager_unet
from cerulean_train.runtime import DEFAULT_RUNTIME, RuntimeTarget, find_runtime
from cerulean_train.unet.config import UNetConfig
from cerulean_train.unet.trainer import train_unet


@pytest.fixture(scope="module")
def run(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    config = UNetConfig(train=str(dataset), val=str(dataset), backbone="xresnet18_narrow",
                        crop="random", size=32, epochs=1, batch_size=4, device="cpu",
                        channels=("vv", "infra_distance", "constant"))
    return train_unet(config, tmp_path_factory.mktemp("run") / "run", progress=False).run_dir


def test_round_trip(run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bundle = tmp_path / "demo.bundle"
    venv = find_runtime(RuntimeTarget.parse(DEFAULT_RUNTIME))
    result = export_bundle(run, bundle, onnx=True)
    assert {p.name for p in bundle.iterdir()} == {
        "model.ts", "model.onnx", "weights.pt", "bundle.json", "cerulean-cloud-model.json"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    manifest = BundleManifest.read(bundle)
    assert manifest == result.manifest
    assert manifest.arch == "unet" and manifest.channels == ("vv", "infra_distance", "constant")
    assert manifest.classes == ("background", "infra_slick", "natural_seep", "vessel")
    assert manifest.has_onnx and manifest.runtime.verified and manifest.tile_size == 128
    # model.ts is run in the serving runtime when its venv exists (CI creates it).
    if venv is not None:
        assert (manifest.runtime.torch, manifest.runtime.torchvision) == ("2.0.1", "0.15.2")
        assert "model.ts loads in torch 2.0.1 and == eager there" in result.checks
    else:
        assert manifest.runtime.torch == torch.__version__.split("+")[0]
        assert "not checked in torch==2.0.1" in caplog.text
    row = ServingRow.read(bundle / "cerulean-cloud-model.json")
    assert row.type == "FASTAIUNET" and row.layers == ("VV", "INFRA", "ALL_255")
    assert row.cls_map == {0: "BACKGROUND", 1: "INFRA", 2: "NATURAL", 3: "VESSEL"}
    # Only cerulean-eval measures the row's numbers; the trainer's keep val_* names.
    assert row.pixel_f1 is None and row.instance_f1 is None
    assert "val_oil_iou" in manifest.metrics and "val_loss" in manifest.metrics
    assert not any(k in manifest.metrics for k in ("pixel_f1", "oil_iou", "instance_f1"))

    state = torch.load(bundle / "weights.pt", weights_only=True)
    config = UNetConfig.load(run / "config.json")
    eager = eager_unet(config, state, 4, tile_size=128)
    traced = torch.jit.load(str(bundle / "model.ts"), map_location="cpu")
    x = torch.rand(3, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = eager(x)
        got = traced(x)
    assert got.shape == (3, 4, 128, 128)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)

    import onnxruntime

    session = onnxruntime.InferenceSession(str(bundle / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {"image": x.numpy()})[0]
    np.testing.assert_allclose(onnx_out, expected.numpy(), atol=1e-3)


def test_existing_bundle_is_kept(run: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b.bundle"
    bundle.mkdir()
    (bundle / "keep").write_text("x")
    with pytest.raises(OutputError, match="already exists"):
        export_bundle(run, bundle, onnx=False)
    assert [p.name for p in bundle.iterdir()] == ["keep"]
