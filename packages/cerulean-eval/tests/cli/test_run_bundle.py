"""``cerulean-eval run`` end to end through cerulean-infer's real Predictor.

The bundle holds a real traced TorchScript model that is a known function of its
input (dark VV is infra_slick), standing in for a trained UNet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cerulean_infer import BundleManifest, Runtime

torch = pytest.importorskip("torch")


class DarkIsOil(torch.nn.Module):  # type: ignore[misc]
    """Logits: background 0, infra_slick 8 − 20·x, the other two far below."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 1)
        with torch.no_grad():
            self.conv.weight.fill_(-20.0)
            self.conv.bias.fill_(8.0)

    def forward(self, x: Any) -> Any:
        oil = self.conv(x)
        return torch.cat([torch.zeros_like(oil), oil, oil - 20.0, oil - 20.0], dim=1)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("bundles") / "dark.bundle"
    folder.mkdir()
    module = DarkIsOil().eval()
    with torch.no_grad():
        torch.jit.trace(module, torch.rand(1, 1, 64, 64)).save(str(folder / "model.ts"))
    torch.save(module.state_dict(), folder / "weights.pt")
    BundleManifest(name="dark", arch="unet", backbone="conv1x1",
                   classes=("background", "infra_slick", "natural_seep", "vessel"),
                   category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
                   runtime=Runtime(torch.__version__.split("+")[0], "0"),
                   class_preset="cloud4").write(folder)
    return folder


def test_run_a_bundle_with_its_preset(run_cli: Callable[..., Any], bundle: Path,
                                      dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "unet"
    result = run_cli("run", "--bundle", bundle, "--coco", dataset_dir, "-o", out,
                     "--batch-size", "4", "--device", "cpu", "--no-progress")
    assert result.code == 0, result.err
    assert "pixel_f1=" in result.out and "segm_ap=" in result.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"]["names"] == ["background", "infra_slick", "natural_seep", "vessel"]
    assert metrics["classes"]["preset"] == "cloud4"  # the dataset has the 6-class table
    assert metrics["source"] == {"kind": "bundle", "bundle": "dark", "arch": "unet",
                                 "dataset": str(dataset_dir), "batch_size": 4,
                                 "path": str(bundle), "device": "cpu"}
    pixel = metrics["pixel"]
    assert pixel["sweep"] is not None and len(pixel["sweep"]["thresholds"]) == 100
    assert pixel["per_class"]["infra_slick"]["predicted"] > 0
    assert 0.0 <= metrics["summary"]["oil_iou"] <= 1.0
    assert (out / "report.html").stat().st_size > 10_000
