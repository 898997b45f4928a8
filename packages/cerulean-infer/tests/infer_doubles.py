"""Test doubles: models with known outputs, bundles built from them, clean scenes.

The UNet double is ``tests.support.models.DarkIsOil`` (oil logit ``14 − 40·x``: pixels
darker than x ≈ 0.35 are oil), traced to TorchScript as cerulean-train exports it. Run
over a scene whose slick pixels are dark and whose sea is bright, it must find exactly
the slicks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from cerulean_infer import BundleManifest, Runtime
from cerulean_tiling import SyntheticScene, write_scenes
from tests.support.grd import write_grd
from tests.support.models import CLASSES4

torch.set_num_threads(1)

SEA = 150
SLICK = 30
TEST_ZOOM = 12
TEST_TILE = 128


def manifest(name: str = "dark", **changes: Any) -> BundleManifest:
    values: dict[str, Any] = dict(
        name=name, arch="unet", backbone="conv1x1", classes=CLASSES4,
        category_ids=(0, 1, 2, 3), channels=("vv",), postprocess="unet-serving",
        runtime=Runtime("2.14.1", "0.29.1"), zoom=TEST_ZOOM, tile_size=TEST_TILE,
    )
    values.update(changes)
    return BundleManifest(**values)


def write_bundle(folder: Path, module: torch.nn.Module, example: torch.Tensor,
                 description: BundleManifest, onnx: bool = False) -> Path:
    """A bundle folder: traced model.ts, weights.pt, bundle.json (+ model.onnx)."""
    folder.mkdir(parents=True, exist_ok=True)
    module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example)
    traced.save(str(folder / "model.ts"))
    torch.save(module.state_dict(), folder / "weights.pt")
    if onnx:
        torch.onnx.export(module, (example,), str(folder / "model.onnx"), input_names=["x"],
                          output_names=["logits"], opset_version=17,
                          dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                          **_torchscript_exporter())
    description.write(folder)
    return folder


def _torchscript_exporter() -> dict[str, Any]:
    """``dynamo=False`` where torch.onnx.export has the switch (recent releases default to
    the dynamo exporter); the serving runtime's torch 2.0.1 has only the TorchScript one."""
    import inspect

    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters \
        else {}


def layer_mask(path: Path) -> np.ndarray:
    """Pixels a Photopea layer paints (alpha > 0)."""
    with Image.open(path) as png:
        return np.asarray(png.convert("RGBA"))[:, :, 3] > 0


def clean_scene(root: Path, seed: int, size: tuple[int, int] = (1024, 768)) -> SyntheticScene:
    """A synthetic scene whose background is bright sea with dark slicks, nothing else.

    write_scenes gives the geometry (GCPs, swath, no-data border) and the slick layers;
    the background is redrawn from the layers so the truth is exactly the painted pixels.
    """
    (scene,) = write_scenes(root, n=1, seed=seed, size=size, land=False)
    background = scene.path / "Background.png"
    with Image.open(background) as png:
        original = np.asarray(png.convert("L"))
    clean = np.where(original > 0, SEA, 0).astype(np.uint8)
    for layer in sorted(scene.path.glob("*.png")):
        if layer.name != "Background.png":
            clean[layer_mask(layer) & (original > 0)] = SLICK
    Image.fromarray(clean, mode="L").save(background)
    return scene


def truth_polygons(scene: SyntheticScene) -> list[Any]:
    """Each layer's painted pixels as a lon/lat (multi)polygon, through the true mapping."""
    import shapely
    from rasterio.features import shapes
    from shapely.geometry import shape
    from shapely.ops import unary_union

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = scene.footprint.lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = []
    for layer in sorted(scene.path.glob("*.png")):
        if layer.name == "Background.png":
            continue
        mask = layer_mask(layer).astype(np.uint8)
        pieces = [shape(g) for g, v in shapes(mask, mask=mask.astype(bool)) if v == 1]
        out.append(shapely.transform(unary_union(pieces), to_lonlat))
    return out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def scene_as_grd(scene: SyntheticScene, path: Path, factor: int = 2) -> Path:
    """The scene's Background.png as a uint16 GRD ``factor`` times larger (values × 2,
    so the 0–255 clip matters), with the scene's GCPs."""
    from cerulean_tiling import read_gcps_json

    with Image.open(scene.path / "Background.png") as png:
        gray = np.asarray(png.convert("L"))
    big = np.kron(gray.astype(np.uint16), np.ones((factor, factor), dtype=np.uint16)) * 2
    height, width = big.shape
    gcps = read_gcps_json(scene.path / "gcps.json").scaled_to(width, height)
    return write_grd(path, big, gcps, blockysize=16)
