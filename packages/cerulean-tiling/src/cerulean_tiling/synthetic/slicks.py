"""Slick shapes of synthetic scenes, by class, painted as Photopea would export them.

Long thin vessel tracks widening into a wake, clusters of drifting patches next to a
platform (infrastructure), filament bundles (natural seeps), blobs (ambiguous); drawn
supersampled for anti-aliased alpha edges and written as RGBA or palette PNGs with a
transparency table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

_SUPERSAMPLE = 4


def instance_class(kind: str, index: int, rng: np.random.Generator) -> int:
    main = {"infra_slick": 1, "natural_seep": 2, "vessel": int(rng.choice([3, 4, 5]))}[kind]
    if index == 0 or rng.random() < 0.6:
        return main
    return int(rng.choice([1, 2, 3, 4, 5, 6]))


def land_mask(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A coastline: land beyond a wavy line near one side of the scene."""
    cols = np.arange(width)
    edge = width * (0.85 + 0.05 * np.sin(np.arange(height)[:, None] / height * 6 + rng.random()))
    return cols[None, :] > edge


def draw_instance(
    class_id: int, rng: np.random.Generator, width: int, height: int,
    land: np.ndarray | None,
) -> tuple[np.ndarray, tuple[int, int], tuple[float, float]]:
    """Anti-aliased alpha of one slick, its top-left (row, col) and its head (col, row)."""
    scale = min(width, height) / 768
    for _ in range(50):
        head = (float(rng.uniform(0.1, 0.75) * width), float(rng.uniform(0.1, 0.9) * height))
        if land is None or not land[int(head[1]), int(head[0])]:
            break
    strokes = _strokes(class_id, rng, head, scale)
    pts = np.concatenate([s[0] for s in strokes])
    pad = max(r for s in strokes for r in s[1]) + 2
    c0 = int(max(0, math.floor(pts[:, 0].min() - pad)))
    r0 = int(max(0, math.floor(pts[:, 1].min() - pad)))
    c1 = int(min(width, math.ceil(pts[:, 0].max() + pad)))
    r1 = int(min(height, math.ceil(pts[:, 1].max() + pad)))
    canvas = Image.new("L", ((c1 - c0) * _SUPERSAMPLE, (r1 - r0) * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(canvas)
    for points, radii in strokes:
        for (x, y), rad in zip(points, radii, strict=True):
            cx, cy, rr = (x - c0) * _SUPERSAMPLE, (y - r0) * _SUPERSAMPLE, rad * _SUPERSAMPLE
            draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), fill=255)
    alpha = np.asarray(canvas.resize((c1 - c0, r1 - r0), Image.Resampling.BOX))
    alpha = np.where(alpha < 8, 0, alpha).astype(np.uint8)
    if land is not None:
        alpha = np.where(land[r0:r1, c0:c1], 0, alpha).astype(np.uint8)
    if not alpha.any():
        alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] = 255
    return alpha, (r0, c0), head


def _walk(rng: np.random.Generator, start: tuple[float, float], length: float, step: float,
          heading: float, wiggle: float) -> np.ndarray:
    n = max(2, int(length / step))
    turns = np.cumsum(rng.normal(0, wiggle, n))
    angles = heading + turns
    steps = np.column_stack([np.cos(angles), np.sin(angles)]) * step
    path: np.ndarray = np.asarray(start) + np.vstack([[0, 0], np.cumsum(steps, axis=0)[:-1]])
    return path


def _strokes(class_id: int, rng: np.random.Generator, head: tuple[float, float],
             scale: float) -> list[tuple[np.ndarray, list[float]]]:
    heading = float(rng.uniform(0, 2 * math.pi))
    if class_id in (3, 4, 5):  # vessel track: long, thin, widening into the wake
        length = rng.uniform(150, 450) * scale * (1.6 if class_id == 5 else 1.0)
        pts = _walk(rng, head, length, 1.5, heading, 0.004)
        w0, w1 = (1.2, 3.5) if class_id != 5 else (3.0, 8.0)
        radii = list(np.linspace(w0, w1, len(pts)) * max(scale, 0.6))
        if class_id == 5:
            keep = (np.sin(np.linspace(0, 9, len(pts))) > -0.6)
            return [(pts[keep], [r for r, k in zip(radii, keep, strict=True) if k])]
        return [(pts, radii)]
    if class_id == 1:  # infra: patches drifting away from a platform
        strokes = []
        drift = heading
        for _ in range(int(rng.integers(2, 5))):
            start = np.asarray(head) + rng.normal(0, 6, 2)
            pts = _walk(rng, tuple(start), rng.uniform(40, 140) * scale, 2.0,
                        drift + rng.normal(0, 0.2), 0.05)
            strokes.append((pts, list(rng.uniform(3, 9, len(pts)) * max(scale, 0.6))))
        return strokes
    if class_id == 2:  # natural seep: bundle of long curvy filaments
        strokes = []
        for k in range(int(rng.integers(2, 4))):
            start = np.asarray(head) + np.array([k * 8.0, k * 5.0]) * scale
            pts = _walk(rng, tuple(start), rng.uniform(120, 320) * scale, 2.0,
                        heading + rng.normal(0, 0.15), 0.03)
            strokes.append((pts, list(rng.uniform(1.5, 4, len(pts)) * max(scale, 0.6))))
        return strokes
    pts = _walk(rng, head, rng.uniform(30, 80) * scale, 3.0, heading, 0.4)  # ambiguous blob
    return [(pts, list(rng.uniform(6, 14, len(pts)) * max(scale, 0.6)))]


def write_layer(path: Path, alpha: np.ndarray, box: tuple[int, int], size: tuple[int, int],
                 colour: tuple[int, int, int], palette: bool) -> None:
    width, height = size
    r0, c0 = box
    h, w = alpha.shape
    if palette:
        # Index 0 transparent; index a (1..255) is the class colour at alpha a.
        idx = np.zeros((height, width), dtype=np.uint8)
        idx[r0 : r0 + h, c0 : c0 + w] = alpha
        image = Image.fromarray(idx, mode="P")
        image.putpalette(list(colour) * 256)
        image.save(path, transparency=bytes(range(256)))
        return
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[r0 : r0 + h, c0 : c0 + w, :3] = colour
    rgba[r0 : r0 + h, c0 : c0 + w, 3] = alpha
    Image.fromarray(rgba, mode="RGBA").save(path)


__all__ = ["draw_instance", "instance_class", "land_mask", "write_layer"]
