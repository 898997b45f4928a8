"""Fixtures: one small real COCO dataset built from synthetic scenes, predictions made
from its truth, test doubles for cerulean-infer's Predictor, and the CLI that the
workspace conftest's ``run_cli`` runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cerulean_coco import CocoDataset, build_dataset
from cerulean_eval.cli import main
from cerulean_infer import BundleManifest, InstancePrediction, Runtime, TilePredictions
from cerulean_tiling import TilingConfig, write_scenes


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 600×500 synthetic scenes built on the serving grid (read-only)."""
    root = tmp_path_factory.mktemp("scenes")
    write_scenes(root, n=2, seed=3, size=(600, 500), layers=4)
    out = tmp_path_factory.mktemp("built") / "dataset"
    build_dataset([root], out, TilingConfig(), workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def dataset(dataset_dir: Path) -> CocoDataset:
    """The built dataset, opened."""
    return CocoDataset.open(dataset_dir)


@pytest.fixture(scope="session")
def truth_results(dataset: CocoDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ground truth written as COCO results (score 1), in annotation order."""
    path = tmp_path_factory.mktemp("results") / "truth.json"
    results = [{"image_id": a.image_id, "category_id": a.category_id,
                "segmentation": a.segmentation, "score": 1.0} for a in dataset.annotations]
    path.write_text(json.dumps(results))
    return path


@pytest.fixture(scope="session")
def truth_geojson(dataset: CocoDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset's true slicks written as cerulean-infer predictions (confidence 0.9)."""
    from cerulean_eval import dataset_classes, dataset_slicks
    from cerulean_infer import Slick, feature_collection, write_geojson

    classes = dataset_classes(dataset.categories)
    features = []
    slicks = dataset_slicks(dataset, classes)
    for scene_id in sorted({s.scene_id for s in slicks}):
        found = [Slick(s.geometry, s.label, classes.names[s.label], 0.9, 0.9, 0.9, 0.9)
                 for s in slicks if s.scene_id == scene_id]
        features += feature_collection(found, scene_id, "truth")["features"]
    path = tmp_path_factory.mktemp("geojson") / "truth.geojson"
    write_geojson(path, {"type": "FeatureCollection", "features": features})
    return path


def dark_probabilities(batch: np.ndarray) -> np.ndarray:
    """A known function of the input: VV darker than 60 is oil of class 1 or 2
    (left / right half of the tile), brighter is background; nodata is background."""
    vv = batch[:, 0].astype(np.float32)
    oil = 1.0 / (1.0 + np.exp((vv - 60.0) / 8.0))
    oil[vv == 0] = 0.0
    b, h, w = vv.shape
    left = np.zeros((b, h, w), dtype=np.float32)
    left[:, :, : w // 2] = 1.0
    probs = np.stack([1.0 - oil, oil * (0.2 + 0.6 * left), oil * (0.8 - 0.6 * left)], axis=1)
    return probs.astype(np.float32)


def manifest(arch: str) -> BundleManifest:
    """A bundle description for the doubles (cloud4-like category ids 1 and 2)."""
    channels = ("vv",) if arch == "unet" else ("vv", "constant", "vv")
    return BundleManifest(name=f"double-{arch}", arch=arch,  # type: ignore[arg-type]
                          backbone="none", classes=("background", "infra_slick", "natural_seep"),
                          category_ids=(0, 1, 2), channels=channels,
                          postprocess=f"{arch}-serving", runtime=Runtime("2.0.1", "0.15.2"))


class UnetDouble:
    """Stands in for cerulean-infer's Predictor of a UNet bundle (its interface, with
    a known function of the input instead of a network)."""

    def __init__(self) -> None:
        self.manifest = manifest("unet")
        self.calls: list[tuple[int, ...]] = []

    def predict_tiles(self, batch: np.ndarray) -> Any:
        assert batch.dtype == np.uint8 and batch.ndim == 4
        self.calls.append(batch.shape)
        return TilePredictions(probabilities=dark_probabilities(batch))


class MaskRcnnDouble:
    """Stands in for a Mask R-CNN Predictor: one instance per dark half-tile region."""

    def __init__(self) -> None:
        self.manifest = manifest("maskrcnn")

    def predict_tiles(self, batch: np.ndarray) -> Any:
        assert batch.shape[1] == 3 and (batch[:, 1] == 255).all()
        probs = dark_probabilities(batch)
        out = []
        for tile in probs:
            found = []
            for label in (1, 2):
                mask = tile[label]
                if (mask >= 0.5).any():
                    rows, cols = np.nonzero(mask >= 0.5)
                    found.append(InstancePrediction(
                        label, float(mask[mask >= 0.5].mean()),
                        (float(cols.min()), float(rows.min()), float(cols.max() + 1),
                         float(rows.max() + 1)), mask.astype(np.float32)))
            out.append(found)
        return TilePredictions(instances=out)


@pytest.fixture
def double_bundle(tmp_path: Path) -> Callable[[str], Path]:
    """``double_bundle(arch)``: a bundle folder holding only the doubles' bundle.json
    (their predictor is handed to the evaluation; nothing loads a model file)."""

    def make(arch: str) -> Path:
        folder = tmp_path / f"double-{arch}.bundle"
        folder.mkdir()
        manifest(arch).write(folder)
        return folder

    return make


@pytest.fixture
def dark() -> Callable[[np.ndarray], np.ndarray]:
    """The doubles' function of the input (:func:`dark_probabilities`)."""
    return dark_probabilities


@pytest.fixture
def unet_double() -> UnetDouble:
    return UnetDouble()


@pytest.fixture
def maskrcnn_double() -> MaskRcnnDouble:
    return MaskRcnnDouble()


def _write_dark_bundle(folder: Path, **changes: Any) -> Path:
    """A bundle of a real traced model that is a known function of its input, with the
    row export writes (``changes`` to bundle.json): logits background 0, infra_slick
    8 − 20·x (x the VV input in 0–1: dark is oil), the other two classes far below."""
    torch = pytest.importorskip("torch")
    from cerulean_infer import ServingRow
    from cerulean_infer.presets import preset
    from tests.support.models import CLASSES4, DarkIsOil, trace

    folder.mkdir(parents=True)
    module = DarkIsOil(weight=-20.0, bias=8.0).eval()
    trace(module, 64).save(str(folder / "model.ts"))
    torch.save(module.state_dict(), folder / "weights.pt")
    values: dict[str, Any] = dict(
        name="dark", arch="unet", backbone="conv1x1",
        classes=CLASSES4,
        category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
        runtime=Runtime(torch.__version__.split("+")[0], "0"), class_preset="cloud4",
        training={"epochs": 3, "train": str(folder / "no-such-dataset")},
        metrics={"val_oil_iou": 0.5})
    values.update(changes)
    described = BundleManifest(**values)
    described.write(folder)
    ServingRow.from_manifest(described, preset("unet-serving")).write(
        folder / "cerulean-cloud-model.json")
    return folder


@pytest.fixture(scope="session")
def write_dark_bundle() -> Callable[..., Path]:
    """``write_dark_bundle(folder, **bundle_json_changes)``: a real TorchScript bundle
    standing in for a trained UNet (dark VV is infra_slick)."""
    return _write_dark_bundle


@pytest.fixture
def cli_main() -> Callable[[list[str]], int]:
    """The CLI the workspace conftest's ``run_cli`` runs: cerulean-eval's."""
    return main
