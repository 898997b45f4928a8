"""What ``cerulean-tiling info`` reports about a scene folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cerulean_tiling import classes
from cerulean_tiling.config import TilingConfig
from cerulean_tiling.geo.gcps import metres_per_degree
from cerulean_tiling.geo.georef import FitResiduals
from cerulean_tiling.geo.grid import TileGrid, tms_matrix
from cerulean_tiling.scenes.folder import open_scene
from cerulean_tiling.scenes.layers import decode_layer
from cerulean_tiling.scenes.png import png_size
from cerulean_tiling.tiles.pipeline import georeference
from cerulean_tiling.types import Bounds, LayerReport


@dataclass(frozen=True)
class SceneReport:
    """A scene folder described: files, georeference quality, layers."""

    path: Path
    scene_id: str
    start: str
    class_folder: str
    size: tuple[int, int]
    gcp_source: str
    gcp_count: int
    gcp_raster_size: tuple[int, int]
    bounds: Bounds
    residuals: tuple[FitResiduals, ...]
    output_pixel_m: float
    tiles_zoom9: int
    layers: tuple[LayerReport, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "scene_id": self.scene_id, "start": self.start,
            "class_folder": self.class_folder, "size": list(self.size),
            "gcps": {"source": self.gcp_source, "count": self.gcp_count,
                     "raster_size": list(self.gcp_raster_size)},
            "bounds": list(self.bounds),
            "residuals": [
                {"model": r.model, "max_m": round(r.max_m, 2), "rms_m": round(r.rms_m, 2),
                 "max_px": round(r.max_m / self.output_pixel_m, 3)}
                for r in self.residuals
            ],
            "tiles": self.tiles_zoom9,
            "layers": [vars(layer) for layer in self.layers],
        }

    def to_text(self) -> str:
        w, s, e, n = self.bounds
        lines = [
            f"{self.scene_id}  ({self.class_folder}, acquired {self.start})",
            f"  folder     {self.path}",
            f"  size       {self.size[0]} x {self.size[1]} px",
            f"  gcps       {self.gcp_count} from {self.gcp_source} "
            f"(raster {self.gcp_raster_size[0]} x {self.gcp_raster_size[1]})",
            f"  bounds     W {w:.4f}  S {s:.4f}  E {e:.4f}  N {n:.4f}",
            f"  tiles      {self.tiles_zoom9} at zoom 9 (512 px)",
            f"  residuals  (metres; output pixel ≈ {self.output_pixel_m:.0f} m)",
        ]
        for r in self.residuals:
            lines.append(f"    {r.model:<19} max {r.max_m:9.1f}  rms {r.rms_m:9.1f}  "
                         f"max {r.max_m / self.output_pixel_m:7.2f} px")
        lines.append(f"  layers     {len(self.layers)}")
        for layer in self.layers:
            name = "-" if layer.class_id is None else classes.by_id(layer.class_id).name
            lines.append(f"    {layer.file:<32} {name:<18} {layer.pixels:>9} px")
            lines.extend(f"      warning: {w}" for w in layer.warnings)
        return "\n".join(lines)


def inspect_scene(path: Path, gcps_from: str | None = None) -> SceneReport:
    """Describe one scene folder (decodes layers to report their classes)."""
    folder = open_scene(path, gcps_from)
    size = png_size(folder.background)
    georef = georeference(folder, size)
    layers = tuple(decode_layer(p, i, size)[1] for i, p in enumerate(folder.layers))
    config = TilingConfig()
    grid = TileGrid(config, georef.bounds)
    m_lon, m_lat = metres_per_degree((georef.bounds[1] + georef.bounds[3]) / 2)
    res = tms_matrix(config.zoom)[2] / config.tile_size
    return SceneReport(
        path=folder.path,
        scene_id=folder.scene_id.value,
        start=folder.scene_id.start.isoformat(),
        class_folder=folder.class_folder,
        size=size,
        gcp_source=folder.gcps.source,
        gcp_count=len(folder.gcps),
        gcp_raster_size=(folder.gcps.width, folder.gcps.height),
        bounds=georef.bounds,
        residuals=tuple(georef.residuals()),
        output_pixel_m=res * (m_lon + m_lat) / 2,
        tiles_zoom9=sum(1 for _ in grid.tiles()),
        layers=layers,
    )
