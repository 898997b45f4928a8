"""The serving service's ensemble of its offset tilesets.

The service predicts a scene three times, on tilesets shifted by 0, 0.33 and 0.66 of a
tile, turns each into slicks on its own, then keeps one answer: the slicks of all
tilesets, concatenated in tileset order, go through polygon NMS
(:func:`~cerulean_infer.postprocess.nms.polygon_nms`) with ``min_overlaps=1``:

- a slick that intersects no other slick goes (the service counts every other slick,
  those of its own tileset included, not only the other tilesets');
- of two slicks with IoU above ``poly_nms_thresh`` the one with the lower
  ``machine_confidence`` goes (on a tie, the one listed first);
- otherwise a slick more than half inside the other goes;
- across classes.

The orchestrator's older ``merge_inferences`` (500 m buffers, graph dissolve,
confidence scaled by how many tilesets agree) is no longer called by it, and is not
reproduced here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cerulean_infer.postprocess.nms import polygon_nms
from cerulean_infer.presets import PostprocessPreset
from cerulean_infer.records import Slick


def merge_tilesets_serving(tilesets: Sequence[Sequence[Slick]],
                           preset: PostprocessPreset) -> list[Slick]:
    """One scene's slicks from its tilesets' slicks, the service's way.

    Args:
        tilesets: each tileset's slicks, tileset 0 (unshifted) first. A slick without a
            ``tileset`` is given its position in this list.
        preset: ``poly_nms_thresh`` is the IoU threshold.
    """
    candidates = [
        slick if slick.tileset is not None else replace(slick, tileset=index)
        for index, tileset in enumerate(tilesets)
        for slick in tileset
    ]
    return polygon_nms(candidates, preset.poly_nms_thresh, min_overlaps=1)


__all__ = ["merge_tilesets_serving"]
