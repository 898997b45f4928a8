"""The one tile sampler every exporter checks its model on, and the table of exporters."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from cerulean_coco import CocoDataset
from cerulean_train.configs import config_class
from cerulean_train.data.channels import read_channels
from cerulean_train.errors import ExportError
from cerulean_train.export import EXPORTERS, ExportRequest, sample_tiles
from cerulean_train.export.maskrcnn import export_maskrcnn
from cerulean_train.export.unet import export_unet
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.unet.config import UNetConfig

TILE = 128
"""The tile side of the ``dataset`` fixture."""

CHANNELS = ("vv", "infra_distance", "constant")


def test_validation_tiles_are_read_as_training_reads_them(
        dataset: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = UNetConfig(train=str(dataset), val=str(dataset), channels=CHANNELS)
    with caplog.at_level(logging.WARNING):
        tiles = sample_tiles(config, 2, TILE)
    coco = CocoDataset.open(dataset)
    expected = np.stack([read_channels(coco.tile_path(image), CHANNELS)
                         for image in coco.images[:2]]).astype(np.float32) / 255
    assert tiles.dtype == torch.float32 and tiles.shape == (2, 3, TILE, TILE)
    np.testing.assert_array_equal(tiles.numpy(), expected)
    assert "noise" not in caplog.text


@pytest.mark.parametrize("why", ["no dataset", "no tile of the size"])
def test_without_validation_tiles_it_warns_and_uses_seeded_noise(
        dataset: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, why: str) -> None:
    val, size = (tmp_path / "gone", TILE) if why == "no dataset" else (dataset, TILE // 2)
    config = UNetConfig(train=str(dataset), val=str(val), channels=CHANNELS, seed=5)
    with caplog.at_level(logging.WARNING):
        tiles = sample_tiles(config, 3, size)
    assert tiles.shape == (3, 3, size, size)
    assert f"{val}: no validation tiles of {size} px" in caplog.text
    assert "seeded noise" in caplog.text
    assert torch.equal(tiles, sample_tiles(config, 3, size))
    other = UNetConfig(train=str(dataset), val=str(val), channels=CHANNELS, seed=6)
    assert not torch.equal(tiles, sample_tiles(other, 3, size))


def test_every_family_has_one_exporter_of_one_signature() -> None:
    for arch, exporter in EXPORTERS.items():
        assert config_class(arch)  # a family the configs know
        parameters = list(inspect.signature(exporter).parameters.values())
        assert [p.annotation for p in parameters] == ["ExportRequest"], arch
        assert inspect.signature(exporter).return_annotation == "ModelExport", arch
    assert set(EXPORTERS) == {"unet", "maskrcnn"}


@pytest.mark.parametrize(("exporter", "config", "family"), [
    (export_unet, MaskRCNNConfig(), "UNet"),
    (export_maskrcnn, UNetConfig(), "Mask R-CNN"),
])
def test_an_exporter_refuses_another_familys_run(
        exporter: object, config: UNetConfig | MaskRCNNConfig, family: str,
        tmp_path: Path) -> None:
    request = ExportRequest(run_dir=tmp_path, staged=tmp_path / "stage", config=config,
                            state={}, n_classes=4, tile_size=TILE, onnx=False,
                            runtime="workspace", runtime_dir=None)
    assert callable(exporter)
    with pytest.raises(ExportError, match=f"a {config.arch} run, not a {family} one"):
        exporter(request)
