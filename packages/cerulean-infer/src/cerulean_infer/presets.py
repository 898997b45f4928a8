"""Post-processing presets: the thresholds that turn model outputs into slick polygons.

The two ``*-serving`` presets hold the values the serving service (cerulean-cloud) uses
today, under the names of its model row's ``thresholds`` object, so a bundle made here
and a production model row mean the same numbers. Every value can be overridden per
run (:meth:`PostprocessPreset.override`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from cerulean_infer.errors import BundleError


@dataclass(frozen=True)
class PostprocessPreset:
    """Thresholds of one post-processing scheme.

    Attributes:
        name: the preset's name.
        arch: the model family it applies to (``unet`` or ``maskrcnn``).
        bbox_score_thresh: UNet: island floor on summed oil probability (hysteresis low);
            Mask R-CNN: minimum box score.
        pixel_score_thresh: UNet: an island is kept if any pixel reaches this
            (hysteresis high); Mask R-CNN: minimum of an instance's mask maximum.
        poly_score_thresh: probability at which polygons are outlined.
        pixel_nms_thresh: Mask R-CNN: in-class mask Dice above which the lower-scored
            instance is suppressed (unused by the UNet).
        poly_nms_thresh: polygon IoU above which the lower-confidence polygon goes.
        groundtruth_dice_thresh: geodesic polygon Dice at which a predicted slick
            matches a true one when a model is scored (cerulean-eval writes the value it
            matched with into the row it measures; not used to predict).
        join_distance_m: Mask R-CNN: fragments of one class closer than this are joined.
        nodata_fraction: polygons more than this fraction inside the no-data border go.
        nodata_buffer_deg: width of that border around no-data pixels, in degrees.
        merge_overlap_thresh: Mask R-CNN, our merge: instances of one class from
            overlapping tiles are one slick when this fraction of the smaller one's
            pixels lies inside the other (the service merges by distance instead).
    """

    name: str
    arch: str
    bbox_score_thresh: float
    pixel_score_thresh: float
    poly_score_thresh: float
    poly_nms_thresh: float
    pixel_nms_thresh: float | None = None
    groundtruth_dice_thresh: float = 0.0
    join_distance_m: float = 0.0
    nodata_fraction: float = 0.5
    nodata_buffer_deg: float = 0.005
    merge_overlap_thresh: float = 0.3

    def override(self, **values: Any) -> PostprocessPreset:
        """A copy with some thresholds replaced (None values are ignored).

        Raises:
            BundleError: an unknown threshold name.
        """
        known = {f.name for f in fields(self)} - {"name", "arch"}
        for key in values:
            if key not in known:
                raise BundleError(f"unknown threshold {key!r}; known: {', '.join(sorted(known))}")
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def serving_thresholds(self) -> dict[str, float]:
        """The model row's ``thresholds`` object (the service's key names)."""
        keys = ("poly_nms_thresh", "pixel_nms_thresh", "bbox_score_thresh",
                "poly_score_thresh", "pixel_score_thresh", "groundtruth_dice_thresh")
        doc = asdict(self)
        return {k: doc[k] for k in keys if doc[k] is not None}


PRESETS: dict[str, PostprocessPreset] = {
    p.name: p
    for p in (
        PostprocessPreset(
            name="unet-serving", arch="unet", bbox_score_thresh=0.0001,
            pixel_score_thresh=0.9, poly_score_thresh=0.5, poly_nms_thresh=0.2,
            groundtruth_dice_thresh=0.0,
        ),
        PostprocessPreset(
            name="maskrcnn-serving", arch="maskrcnn", bbox_score_thresh=0.3,
            pixel_score_thresh=0.5, poly_score_thresh=0.1, poly_nms_thresh=0.2,
            pixel_nms_thresh=0.4, groundtruth_dice_thresh=0.0, join_distance_m=1000.0,
        ),
    )
}
"""Named presets; ``<arch>-serving`` is each family's default."""


def preset(name: str) -> PostprocessPreset:
    """The preset called ``name``.

    Raises:
        BundleError: no such preset (the message lists the known ones).
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise BundleError(f"unknown post-processing preset {name!r}; known: "
                          f"{', '.join(PRESETS)}") from None


def default_preset(arch: str) -> PostprocessPreset:
    """The serving preset of a model family."""
    return preset(f"{arch}-serving")


__all__ = ["PRESETS", "PostprocessPreset", "default_preset", "preset"]
