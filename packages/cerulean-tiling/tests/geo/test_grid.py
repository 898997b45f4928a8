from __future__ import annotations

import morecantile
import pytest

from cerulean_tiling.config import TilingConfig
from cerulean_tiling.errors import ConfigError
from cerulean_tiling.geo.grid import TileGrid

BOUNDS = (54.91, 25.03, 55.77, 25.61)


@pytest.mark.parametrize("zoom", [7, 9, 10])
def test_tms_tiles_equal_morecantile(zoom: int) -> None:
    grid = TileGrid(TilingConfig(zoom=zoom), BOUNDS)
    tms = morecantile.tms.get("WorldCRS84Quad")
    ours = {spec.index[1:]: grid.lattice.bounds(spec.window) for spec in grid.tiles()}
    theirs = {(t.x, t.y): tuple(tms.bounds(t)) for t in tms.tiles(*BOUNDS, zooms=[zoom])}
    assert set(ours) == set(theirs)
    for key, bounds in ours.items():
        assert bounds == pytest.approx(theirs[key], abs=1e-9)


def test_tms_zoom9_resolution_matches_serving() -> None:
    grid = TileGrid(TilingConfig(), BOUNDS)
    assert grid.lattice.res == pytest.approx(0.000686645, rel=1e-6)


def test_pixel_grid_windows_cover_with_overlap() -> None:
    config = TilingConfig(grid="pixel", tile_size=256, overlap=32)
    grid = TileGrid(config, BOUNDS)
    specs = list(grid.tiles())
    scene = grid.lattice.window_for(BOUNDS)
    covered = set()
    for spec in specs:
        w = spec.window
        assert (w.height, w.width) == (256, 256)
        covered.update((r, c) for r in range(w.row, w.row + w.height, 16)
                       for c in range(w.col, w.col + w.width, 16))
    assert all((r, c) in covered
               for r in range(scene.row, scene.row + scene.height, 16)
               for c in range(scene.col, scene.col + scene.width, 16))
    a, b = specs[0].window, specs[1].window
    assert b.col - a.col == 256 - 32
    assert len({s.name("S") for s in specs}) == len(specs)


def test_bad_grid_settings() -> None:
    with pytest.raises(ConfigError, match="key 'overlap': applies to the pixel grid only"):
        TilingConfig(overlap=10)
    with pytest.raises(ConfigError, match=r"key 'zoom': 20 is out of range \(must be <= 14\)"):
        TilingConfig(zoom=20)
    with pytest.raises(ConfigError, match="key 'grid': 'xyz' is not one of tms, pixel"):
        TilingConfig(grid="xyz")  # type: ignore[arg-type]
