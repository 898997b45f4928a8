"""Loading bundles and serving models, and predicting tiles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from infer_doubles import TEST_TILE, manifest, write_bundle

from cerulean_infer import (
    BundleError,
    ChannelMismatchError,
    ModelLoadError,
    Predictor,
    SceneError,
    ServingRow,
)
from cerulean_infer.loading import clear_cache
from cerulean_infer.presets import preset
from tests.support.models import DarkIsOil


def _tiles() -> np.ndarray:
    batch = np.full((2, 1, TEST_TILE, TEST_TILE), 200, dtype=np.uint8)
    batch[:, :, 20:40, 20:40] = 30
    batch[1, :, :8] = 0
    return batch


def test_predict_tiles_is_the_known_function(dark_bundle: Path) -> None:
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    probs = predictor.predict_tiles(_tiles()).probabilities
    assert probs is not None and probs.shape == (2, 4, TEST_TILE, TEST_TILE)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1)[:, 8:], 1.0, atol=1e-5)
    x = 30 / 255
    expected = 1 / (1 + np.exp(-(14 - 40 * x)))  # oil vs background, others negligible
    assert abs(probs[0, 1, 30, 30] - expected) < 1e-3
    assert probs[0, 0, 100, 100] > 0.999
    # No data (VV 0): oil classes zeroed, background left as the model said.
    assert not probs[1, 1:, :8].any() and probs[1, 0, :8].max() < 1e-3


def test_models_load_once_per_process(dark_bundle: Path) -> None:
    first = Predictor.from_bundle(dark_bundle, backend="torch")
    second = Predictor.from_bundle(dark_bundle, backend="torch", device="cpu")
    assert first.runner is second.runner
    clear_cache()
    assert Predictor.from_bundle(dark_bundle, backend="torch").runner is not first.runner


def test_onnx_backend_matches_torch(dark_bundle: Path) -> None:
    assert Predictor.from_bundle(dark_bundle).backend == "onnx"  # auto: the bundle has it
    torch_probs = Predictor.from_bundle(dark_bundle, backend="torch").predict_tiles(_tiles())
    onnx_probs = Predictor.from_bundle(dark_bundle, backend="onnx").predict_tiles(_tiles())
    assert torch_probs.probabilities is not None and onnx_probs.probabilities is not None
    np.testing.assert_allclose(onnx_probs.probabilities, torch_probs.probabilities, atol=1e-5)


def test_serving_model_and_row(dark_bundle: Path, tmp_path: Path) -> None:
    row = ServingRow.from_manifest(manifest(), preset("unet-serving"))
    doc = row.to_json()
    doc["thresholds"]["poly_score_thresh"] = 0.6
    (tmp_path / "row.json").write_text(json.dumps(doc))
    predictor = Predictor.from_serving(dark_bundle / "model.ts", tmp_path / "row.json")
    assert predictor.manifest.zoom == manifest().zoom
    assert predictor.manifest.channels == ("vv",)
    assert predictor.manifest.classes == manifest().classes
    assert predictor.preset.poly_score_thresh == 0.6
    bundle_probs = Predictor.from_bundle(dark_bundle, backend="torch").predict_tiles(_tiles())
    serving_probs = predictor.predict_tiles(_tiles())
    assert serving_probs.probabilities is not None and bundle_probs.probabilities is not None
    np.testing.assert_array_equal(serving_probs.probabilities, bundle_probs.probabilities)


def test_production_row_zoom() -> None:
    doc = {"type": "FASTAIUNET", "file_path": "gs://models/unet.pt", "layers": ["VV"],
           "cls_map": {"0": "BACKGROUND", "1": "INFRA", "2": "NATURAL", "3": "VESSEL"},
           "thresholds": {"poly_nms_thresh": 0.2, "bbox_score_thresh": 0.0001,
                          "poly_score_thresh": 0.5, "pixel_score_thresh": 0.9},
           "tile_width_m": 40844, "tile_width_px": 512, "name": "prod"}
    row = ServingRow.from_json(doc)
    assert row.zoom == 9 and row.scale == 2
    described = row.to_manifest()
    assert described.classes == ("background", "infra_slick", "natural_seep", "vessel")
    assert described.zoom == 9 and described.tile_size == 512
    # The service's four classes are cloud4's: annotations meet them through that preset.
    assert described.class_preset == "cloud4" and described.category_ids == (0, 1, 2, 3)
    other = ServingRow.from_json({**doc, "cls_map": {"0": "BACKGROUND", "1": "KELP"}})
    assert other.to_manifest().class_preset is None


def _copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.bundle"
    shutil.copytree(bundle, target)
    return target


def test_bad_bundles_fail_with_one_line(dark_bundle: Path, tmp_path: Path) -> None:
    clear_cache()
    with pytest.raises(BundleError, match="not a bundle folder"):
        Predictor.from_bundle(tmp_path / "nothing")
    broken = _copy(dark_bundle, tmp_path)
    (broken / "model.ts").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelLoadError, match="model.ts: not a loadable TorchScript"):
        Predictor.from_bundle(broken, backend="torch")
    shutil.rmtree(broken)
    missing = _copy(dark_bundle, tmp_path)
    (missing / "weights.pt").unlink()
    with pytest.raises(BundleError, match="weights.pt: missing"):
        Predictor.from_bundle(missing)
    shutil.rmtree(missing)
    version = _copy(dark_bundle, tmp_path)
    doc = json.loads((version / "bundle.json").read_text())
    doc["format_version"] = 99
    (version / "bundle.json").write_text(json.dumps(doc))
    with pytest.raises(BundleError, match="format_version 99"):
        Predictor.from_bundle(version)
    shutil.rmtree(version)
    three = write_bundle(tmp_path / "three.bundle", DarkIsOil(), torch.rand(1, 1, 64, 64),
                         manifest(channels=("vv", "infra_distance", "constant")))
    with pytest.raises(ChannelMismatchError, match="takes 1 channels"):
        Predictor.from_bundle(three)
    with pytest.raises(BundleError, match="backend .tensorrt."):
        Predictor.from_bundle(dark_bundle, backend="tensorrt")


def test_rows_for_another_architecture_and_bad_batches(dark_bundle: Path,
                                                       tmp_path: Path) -> None:
    row = ServingRow.from_manifest(manifest(), preset("unet-serving")).to_json()
    row["type"] = "MASKRCNN"
    row["layers"] = ["VV", "ALL_255", "ALL_255"]
    (tmp_path / "row.json").write_text(json.dumps(row))
    with pytest.raises(BundleError, match="is a semantic"):
        Predictor.from_serving(dark_bundle / "model.ts", tmp_path / "row.json")
    with pytest.raises(BundleError, match="does not match the bundle"):
        Predictor.from_bundle(dark_bundle, model_row=tmp_path / "row.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(BundleError, match="bad.json: unreadable"):
        Predictor.from_serving(dark_bundle / "model.ts", tmp_path / "bad.json")
    predictor = Predictor.from_bundle(dark_bundle, backend="torch")
    with pytest.raises(ChannelMismatchError, match="tiles have 3 channels"):
        predictor.predict_tiles(np.zeros((1, 3, 64, 64), dtype=np.uint8))
    with pytest.raises(SceneError, match="uint8"):
        predictor.predict_tiles(np.zeros((1, 1, 64, 64), dtype=np.float32))


def test_a_row_with_another_class_count_than_the_model(dark_bundle: Path,
                                                       tmp_path: Path) -> None:
    row = ServingRow.from_manifest(manifest(), preset("unet-serving")).to_json()
    row["cls_map"] = {"0": "BACKGROUND", "1": "INFRA", "2": "NATURAL"}
    (tmp_path / "row.json").write_text(json.dumps(row))
    predictor = Predictor.from_serving(dark_bundle / "model.ts", tmp_path / "row.json")
    with pytest.raises(BundleError, match="the model returns 4 classes, its description "
                                          "names 3"):
        predictor.predict_tiles(_tiles())


def test_import_stays_light() -> None:
    code = ("import sys, cerulean_infer; from cerulean_infer import BundleManifest; "
            "print(sorted(m for m in ('torch', 'onnxruntime', 'dask', 'distributed') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
