"""Synthetic annotated scenes: realistic, deterministic, with known georeference.

A synthetic scene folder looks like a real annotated one: a speckled Sentinel-1-like
Background.png (gamma-distributed speckle over a wind gradient, optional land, zero
no-data borders), one Photopea-like layer PNG per slick (class colour, anti-aliased
alpha edges, RGBA or palette with a transparency table, some with Photopea's default
``Layer N`` names), and a gcps.json grid sampled from a known, smooth, non-affine radar
→ lon/lat mapping (a tilted swath whose ground-range spacing grows across track, on an
ellipsoid where a degree of longitude shrinks with latitude). The GCP grid refers to a
GRD four times the size of the PNGs, as real reduced copies do.

Slick shapes follow their class: long thin vessel tracks widening into a wake (bright
vessel at the head for coincident vessels), clusters of drifting patches next to a
bright platform (infrastructure), filament bundles for natural seeps, blobs for
ambiguous. A root also gets ``infrastructure.geojson`` (platforms, a pipeline),
``vessel_density.tif`` and ``synthetic.json`` (the truth: footprints and instance
centroids in lon/lat).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cerulean_tiling import classes
from cerulean_tiling.errors import ConfigError
from cerulean_tiling.geo.gcps import write_gcps_json
from cerulean_tiling.synthetic.geometry import FULL_SIZE, Footprint
from cerulean_tiling.synthetic.slicks import draw_instance, instance_class, land_mask, write_layer

_REGION = (50.0, 24.0, 56.5, 28.5)  # west, south, east, north: all scenes fall inside
_SCENE_KINDS = ("infra_slick", "natural_seep", "vessel")


@dataclass(frozen=True)
class SyntheticInstance:
    """Truth for one painted instance."""

    layer: str
    class_id: int
    centroid_px: tuple[float, float]  # (col, row) in Background.png pixels (corner origin)
    centroid_lonlat: tuple[float, float]  # mean lon/lat of the painted pixels' centres
    pixels: int


@dataclass(frozen=True)
class SyntheticScene:
    """Truth for one synthetic scene folder."""

    path: Path
    scene_id: str
    footprint: Footprint
    instances: tuple[SyntheticInstance, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "scene_id": self.scene_id,
            "footprint": self.footprint.__dict__,
            "instances": [i.__dict__ for i in self.instances],
        }


def parse_size(text: str) -> tuple[int, int]:
    """``"WxH"`` or ``"full"`` → (width, height)."""
    if text.strip().lower() == "full":
        return FULL_SIZE
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"size {text!r} is not WxH (e.g. 1024x768) or 'full'") from None
    if not (64 <= w <= 40000 and 64 <= h <= 40000):
        raise ConfigError(f"size {text!r} is outside 64–40000 pixels per side")
    return w, h


def write_scenes(
    root: Path, n: int = 1, seed: int = 0, size: tuple[int, int] = (1024, 768),
    layers: int | None = None, palette_every: int = 3, land: bool = True,
) -> list[SyntheticScene]:
    """Write ``n`` scene folders under ``root`` plus the shared aux files and truth.

    Args:
        root: output root; scenes go to ``root/<class_folder>/<scene_id>/``.
        n: number of scenes.
        seed: everything is a deterministic function of the seed.
        size: (width, height) of each Background.png.
        layers: instances per scene (default grows with scene area, 3–10).
        palette_every: every k-th layer is written as a palette PNG (0: none).
        land: add a land area to some scenes.
    """
    root.mkdir(parents=True, exist_ok=True)
    # Everything is written to a hidden staging folder first and moved in at the end, so
    # an interrupted run never leaves half-written scenes under ``root``.
    staging = Path(tempfile.mkdtemp(prefix=".synth-", dir=root))
    try:
        rng = np.random.default_rng(seed)
        scenes = []
        platforms: list[tuple[float, float]] = []
        for i in range(n):
            kind = _SCENE_KINDS[i % len(_SCENE_KINDS)]
            scene, scene_platforms = _write_scene(staging, kind, rng, size, layers,
                                                  palette_every, land and i % 2 == 1)
            scenes.append(replace(scene, path=root / scene.path.relative_to(staging)))
            platforms.extend(scene_platforms)
        _write_infrastructure(staging / "infrastructure.geojson", platforms, rng)
        _write_vessel_density(staging / "vessel_density.tif", rng)
        truth = {"seed": seed, "size": list(size), "scenes": [s.to_json() for s in scenes]}
        (staging / "synthetic.json").write_text(json.dumps(truth, indent=1))
        for scene in scenes:
            scene.path.parent.mkdir(exist_ok=True)
            if scene.path.exists():
                shutil.rmtree(scene.path)
            (staging / scene.path.relative_to(root)).rename(scene.path)
        for name in ("infrastructure.geojson", "vessel_density.tif", "synthetic.json"):
            (staging / name).replace(root / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return scenes


def _scene_id(rng: np.random.Generator) -> str:
    start = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=int(rng.integers(0, 30_000_000)))
    stop = start + timedelta(seconds=25)
    orbit = int(rng.integers(1000, 60000))
    return (f"S1{'AB'[int(rng.integers(0, 2))]}_IW_GRDH_1SDV_{start:%Y%m%dT%H%M%S}_"
            f"{stop:%Y%m%dT%H%M%S}_{orbit:06d}_{int(rng.integers(0, 2**24)):06X}_"
            f"{int(rng.integers(0, 2**16)):04X}")


def _write_scene(
    root: Path, kind: str, rng: np.random.Generator, size: tuple[int, int],
    n_layers: int | None, palette_every: int, land: bool,
) -> tuple[SyntheticScene, list[tuple[float, float]]]:
    width, height = size
    west, south, east, north = _REGION
    footprint = Footprint(
        lon0=float(rng.uniform(west + 1.5, east - 1.5)),
        lat0=float(rng.uniform(south + 1.2, north - 1.2)),
        heading=float(rng.uniform(-14, -8) if rng.random() < 0.5 else rng.uniform(188, 194)),
        width=width, height=height,
    )
    scene_id = _scene_id(rng)
    folder = root / kind / scene_id
    folder.mkdir(parents=True, exist_ok=True)
    if n_layers is None:
        n_layers = int(np.clip(round(10 * width * height / (FULL_SIZE[0] * FULL_SIZE[1])), 3, 10))

    dark = np.zeros((height, width), dtype=np.float32)
    bright: list[tuple[float, float, float]] = []
    instances = []
    platforms_px: list[tuple[float, float]] = []
    coast = land_mask(rng, width, height) if land else None
    for index in range(n_layers):
        class_id = instance_class(kind, index, rng)
        alpha, box, head = draw_instance(class_id, rng, width, height, coast)
        if class_id == 1:
            platforms_px.append(head)
        if class_id == 3:
            bright.append((*head, 3.0))
        r0, c0 = box
        h, w = alpha.shape
        region = dark[r0 : r0 + h, c0 : c0 + w]
        np.maximum(region, alpha.astype(np.float32) / 255.0, out=region)
        name = (f"{classes.by_id(class_id).name}_{index + 1}.png" if index % 2 == 0
                else f"Layer {index + 1}.png")
        palette = palette_every > 0 and index % palette_every == palette_every - 1
        write_layer(folder / name, alpha, box, (width, height), classes.by_id(class_id).colour,
                     palette)
        ys, xs = np.nonzero(alpha)
        cols, rows = xs + c0 + 0.5, ys + r0 + 0.5
        lon, lat = footprint.lonlat(cols, rows)
        instances.append(SyntheticInstance(
            name, class_id, (float(cols.mean()), float(rows.mean())),
            (float(lon.mean()), float(lat.mean())), int(xs.size)))
    for _ in range(int(rng.integers(2, 6))):
        bright.append((float(rng.uniform(0, width)), float(rng.uniform(0, height)), 2.0))
    background = _background(rng, width, height, dark, bright + [(*p, 2.5) for p in platforms_px],
                             coast)
    Image.fromarray(background, mode="L").save(folder / "Background.png")
    write_gcps_json(footprint.gcps(source=str(folder / "gcps.json")), folder / "gcps.json")
    platforms = [tuple(float(v) for v in footprint.lonlat(np.array(c), np.array(r)))
                 for c, r in platforms_px]
    scene = SyntheticScene(folder, scene_id, footprint, tuple(instances))
    return scene, platforms  # type: ignore[return-value]


def _smooth_field(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    coarse = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    image = Image.fromarray(coarse, mode="F").resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def _background(
    rng: np.random.Generator, width: int, height: int, dark: np.ndarray,
    bright: list[tuple[float, float, float]], land: np.ndarray | None,
) -> np.ndarray:
    """VV intensity, 8-bit: sigma0 in dB (-30..-5 → 1..255), 0 = no data."""
    cols = np.linspace(0, 1, width, dtype=np.float32)
    db = -21.0 + 6.0 * cols[None, :] + 1.5 * _smooth_field(rng, width, height, 6)
    db = np.broadcast_to(db, (height, width)).astype(np.float32)
    db = db - 8.0 * dark
    if land is not None:
        db = np.where(land, -9.0 + 2.0 * _smooth_field(rng, width, height, 24), db)
    linear = 10 ** (db / 10) * rng.gamma(4.0, 0.25, (height, width)).astype(np.float32)
    out = 10 * np.log10(np.maximum(linear, 1e-6))
    for x, y, amp in bright:
        r0, c0 = int(y), int(x)
        out[max(r0 - 1, 0) : r0 + 2, max(c0 - 1, 0) : c0 + 2] += 12.0 * amp
    scaled = np.clip((out + 30.0) / 25.0 * 254.0 + 1.0, 1, 255).astype(np.uint8)
    border = max(2, width // 200)
    scaled[:, :border] = 0
    scaled[:, -border:] = 0
    return scaled


def _write_infrastructure(path: Path, platforms: list[tuple[float, float]],
                          rng: np.random.Generator) -> None:
    west, south, east, north = _REGION
    points = platforms + [(float(rng.uniform(west, east)), float(rng.uniform(south, north)))
                          for _ in range(20)]
    features = [{"type": "Feature", "properties": {"kind": "platform"},
                 "geometry": {"type": "Point", "coordinates": [lon, lat]}} for lon, lat in points]
    line = [[float(rng.uniform(west, east)), south + (north - south) * t] for t in (0.2, 0.5, 0.8)]
    features.append({"type": "Feature", "properties": {"kind": "pipeline"},
                     "geometry": {"type": "LineString", "coordinates": line}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def _write_vessel_density(path: Path, rng: np.random.Generator) -> None:
    import rasterio
    from rasterio.transform import from_bounds

    west, south, east, north = _REGION
    res = 0.01
    width, height = round((east - west) / res), round((north - south) / res)
    lat = np.linspace(north, south, height)[:, None]
    lon = np.linspace(west, east, width)[None, :]
    lane = np.exp(-(((lat - 26) - 0.3 * (lon - 53)) ** 2) / 0.02) * 90
    density = (lane + rng.gamma(1.0, 3.0, (height, width))).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_bounds(west, south, east, north, width, height)) as dst:
        dst.write(density, 1)
