"""The post-processing API: every exported name exists, and none of it needs torch."""

from __future__ import annotations

import subprocess
import sys

import cerulean_infer
import cerulean_infer.postprocess as postprocess

MAIN = ("unet_slicks", "merge_instances", "tile_instances", "serving_tile_slicks",
        "serving_tileset_slicks", "merge_tilesets_serving", "join_fragments", "polygon_nms",
        "feature_collection", "write_geojson", "read_geojson")


def test_all_names_import() -> None:
    for name in postprocess.__all__:
        assert getattr(postprocess, name) is not None, name
    for name in MAIN:
        assert name in cerulean_infer.__all__
        assert getattr(cerulean_infer, name) is getattr(postprocess, name)


def test_post_processing_does_not_import_torch() -> None:
    code = ("import sys, cerulean_infer.postprocess; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
