"""Layer decoding: the numba kernels against a NumPy reference, and the class rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cerulean_tiling import classes
from cerulean_tiling.errors import LayerColourError, LayerSizeError, SceneReadError
from cerulean_tiling.scenes.layers import decode_layer

SIZE = (120, 90)


def reference_categories(rgba: np.ndarray, alpha_threshold: int, tol: int) -> np.ndarray:
    """NumPy reference: category per pixel (-1 invisible; see layers module docstring)."""
    px = rgba.astype(np.int32)
    r, g, b, a = px[..., 0], px[..., 1], px[..., 2], px[..., 3]
    out = np.full(r.shape, 9, dtype=np.int8)
    gray = (r == g) & (g == b)
    out[gray & (r > 0)] = 7
    out[gray & (r == 0)] = 8
    out[(r >= 255 - tol) & (g >= 255 - tol) & (b >= 255 - tol)] = 6
    for k in range(5, -1, -1):
        colour = classes.by_id(k).colour
        near = ((abs(r - colour[0]) <= tol) & (abs(g - colour[1]) <= tol)
                & (abs(b - colour[2]) <= tol))
        out[near] = k
    out[a <= alpha_threshold] = -1
    return out


def reference_mask(rgba: np.ndarray, alpha_threshold: int, tol: int, gray_mode: bool,
                   named: bool) -> tuple[int | None, np.ndarray]:
    cats = reference_categories(rgba, alpha_threshold, tol)
    counts = np.array([(cats == k).sum() for k in range(10)])
    coloured = counts[1:6].sum() > 0 or (not gray_mode and counts[6] > 0)
    if coloured:
        cands = list(range(1, 6)) + ([] if gray_mode else [6])
        best = max(cands, key=lambda k: (counts[k], -k))
        return best, cats == best
    assert named
    return None, (cats == 6) | (cats == 7)


def _random_layer(rng: np.random.Generator, colour: tuple[int, int, int]) -> np.ndarray:
    rgba = np.zeros((SIZE[1], SIZE[0], 4), dtype=np.uint8)
    rgba[20:60, 30:90, :3] = colour
    rgba[20:60, 30:90, 3] = rng.integers(0, 256, (40, 60))  # anti-aliased alpha
    noise = rng.random((SIZE[1], SIZE[0])) < 0.02  # stray pixels of random colours
    rgba[noise] = rng.integers(0, 256, (int(noise.sum()), 4))
    return rgba


def _check_against_reference(path: Path, rgba: np.ndarray, alpha_threshold: int, tol: int,
                             gray_mode: bool = False, named: bool = False) -> None:
    layer, report = decode_layer(path, 0, SIZE, alpha_threshold, tol)
    class_id, expected = reference_mask(rgba, alpha_threshold, tol, gray_mode, named)
    assert layer is not None
    if class_id is not None:
        assert layer.class_id == class_id
    full = np.zeros(expected.shape, dtype=bool)
    r0, c0 = layer.offset
    full[r0 : r0 + layer.mask.shape[0], c0 : c0 + layer.mask.shape[1]] = layer.mask
    np.testing.assert_array_equal(full, expected)
    assert report.pixels == int(expected.sum())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("alpha_threshold", "tol"), [(0, 0), (0, 24), (128, 10)])
def test_rgba_kernel_matches_numpy_reference(tmp_path: Path, seed: int, alpha_threshold: int,
                                             tol: int) -> None:
    rng = np.random.default_rng(seed)
    colour = classes.by_id(int(rng.integers(1, 7))).colour
    rgba = _random_layer(rng, colour)
    path = tmp_path / "Layer 1.png"
    Image.fromarray(rgba, "RGBA").save(path)
    _check_against_reference(path, rgba, alpha_threshold, tol)


@pytest.mark.parametrize("seed", range(3))
def test_palette_with_transparency_table_matches_reference(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (256, 3))
    palette[1:100] = classes.by_id(3).colour  # a quantised red brush at many alpha levels
    alphas = rng.integers(0, 256, 256).astype(np.uint8)
    alphas[0] = 0
    idx = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint8)
    idx[10:70, 10:50] = rng.integers(1, 100, (60, 40))
    idx[80:85, 100:110] = rng.integers(100, 256, (5, 10))
    image = Image.fromarray(idx, "P")
    image.putpalette(palette.astype(np.uint8).ravel().tolist())
    path = tmp_path / "Layer 2.png"
    image.save(path, transparency=alphas.tobytes())
    rgba = np.concatenate([palette[idx], alphas[idx][..., None]], axis=-1).astype(np.uint8)
    _check_against_reference(path, rgba, 0, 24)


def test_rgb_without_alpha_ignores_black(tmp_path: Path) -> None:
    rgb = np.zeros((SIZE[1], SIZE[0], 3), dtype=np.uint8)
    rgb[5:15, 5:25] = classes.by_id(2).colour
    path = tmp_path / "seep.png"
    Image.fromarray(rgb, "RGB").save(path)
    layer, _ = decode_layer(path, 3, SIZE)
    assert layer is not None
    assert (layer.class_id, layer.offset, layer.mask.shape, layer.index) == (2, (5, 5), (10, 20), 3)
    assert layer.mask.all()


def test_gray_mask_takes_class_from_file_name(tmp_path: Path) -> None:
    gray = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint8)
    gray[30:40, 50:70] = 255
    path = tmp_path / "Natural Seep 4.png"
    Image.fromarray(gray, "L").save(path)
    layer, report = decode_layer(path, 0, SIZE)
    assert layer is not None and layer.class_id == 2 and int(layer.mask.sum()) == 200
    assert report.class_id == 2


def test_gray_mask_without_class_name_is_an_error(tmp_path: Path) -> None:
    gray = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint8)
    gray[30:40, 50:70] = 200
    path = tmp_path / "Layer 7.png"
    Image.fromarray(gray, "L").save(path)
    message = r"Layer 7.png: no class colour.*\(200, 200, 200\) x200"
    with pytest.raises(LayerColourError, match=message):
        decode_layer(path, 0, SIZE)


def test_unknown_colours_are_listed(tmp_path: Path) -> None:
    rgba = np.zeros((SIZE[1], SIZE[0], 4), dtype=np.uint8)
    rgba[:10, :10] = (120, 60, 30, 255)
    path = tmp_path / "Layer 8.png"
    Image.fromarray(rgba, "RGBA").save(path)
    with pytest.raises(LayerColourError, match=r"Layer 8.png.*\(120, 60, 30\) x100"):
        decode_layer(path, 0, SIZE)


def test_white_brush_in_colour_png_is_ambiguous(tmp_path: Path) -> None:
    rgba = np.zeros((SIZE[1], SIZE[0], 4), dtype=np.uint8)
    rgba[:10, :10] = (255, 255, 255, 90)
    path = tmp_path / "Layer 9.png"
    Image.fromarray(rgba, "RGBA").save(path)
    layer, _ = decode_layer(path, 0, SIZE)
    assert layer is not None and layer.class_id == 6


def test_empty_layer_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "Layer 3.png"
    Image.fromarray(np.zeros((SIZE[1], SIZE[0], 4), dtype=np.uint8), "RGBA").save(path)
    layer, report = decode_layer(path, 0, SIZE)
    assert layer is None and report.pixels == 0 and "empty" in report.warnings[0]


def test_colour_wins_over_file_name_with_warning(tmp_path: Path) -> None:
    rgba = np.zeros((SIZE[1], SIZE[0], 4), dtype=np.uint8)
    rgba[:10, :10] = (*classes.by_id(1).colour, 255)
    path = tmp_path / "natural_seep_1.png"
    Image.fromarray(rgba, "RGBA").save(path)
    layer, report = decode_layer(path, 0, SIZE)
    assert layer is not None and layer.class_id == 1
    assert any("colour wins" in w for w in report.warnings)


def test_size_mismatch_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "Layer 1.png"
    Image.fromarray(np.zeros((10, 10, 4), dtype=np.uint8), "RGBA").save(path)
    with pytest.raises(LayerSizeError, match=r"Layer 1.png: layer is 10x10 but Background.png"):
        decode_layer(path, 0, SIZE)
    fake = tmp_path / "Layer 2.png"
    fake.write_text("not an image")
    with pytest.raises(SceneReadError, match="Layer 2.png: not a PNG"):
        decode_layer(fake, 0, SIZE)
    good = tmp_path / "Layer 3.png"
    Image.fromarray(np.full((SIZE[1], SIZE[0], 4), 200, dtype=np.uint8), "RGBA").save(good)
    truncated = tmp_path / "Layer 4.png"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(SceneReadError, match="Layer 4.png: truncated or corrupt"):
        decode_layer(truncated, 0, SIZE)


def test_tall_layer_decoded_over_many_strips_matches_reference(tmp_path: Path) -> None:
    from cerulean_tiling.scenes.png import STRIP_ROWS

    rng = np.random.default_rng(9)
    size = (300, 3 * STRIP_ROWS + 17)
    rgba = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    rgba[100 : size[1] - 50, 40:260, :3] = classes.by_id(4).colour
    rgba[100 : size[1] - 50, 40:260, 3] = rng.integers(0, 256, (size[1] - 150, 220))
    path = tmp_path / "Layer 1.png"
    Image.fromarray(rgba, "RGBA").save(path)
    layer, _ = decode_layer(path, 0, size, 0, 24)
    _, expected = reference_mask(rgba, 0, 24, gray_mode=False, named=False)
    assert layer is not None and layer.class_id == 4
    full = np.zeros(expected.shape, dtype=bool)
    r0, c0 = layer.offset
    full[r0 : r0 + layer.mask.shape[0], c0 : c0 + layer.mask.shape[1]] = layer.mask
    np.testing.assert_array_equal(full, expected)


@pytest.mark.parametrize("kind", ["LA", "RGB+tRNS", "I;16"])
def test_rare_modes_decode_through_pillow(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "natural_seep_5.png"
    if kind == "LA":
        la = np.zeros((SIZE[1], SIZE[0], 2), dtype=np.uint8)
        la[10:20, 10:30] = (255, 128)
        Image.fromarray(la, "LA").save(path)
        expected = 200
    elif kind == "RGB+tRNS":
        rgb = np.zeros((SIZE[1], SIZE[0], 3), dtype=np.uint8)
        rgb[:] = (1, 2, 3)  # the transparent colour
        rgb[30:40, 30:45] = classes.by_id(2).colour
        Image.fromarray(rgb, "RGB").save(path, transparency=(1, 2, 3))
        expected = 150
    else:
        gray16 = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint16)
        gray16[5:15, 5:10] = 65535
        Image.fromarray(gray16).save(path)
        expected = 50
    layer, report = decode_layer(path, 0, SIZE)
    assert layer is not None and layer.class_id == 2
    assert int(layer.mask.sum()) == expected == report.pixels
