"""Matching predicted slicks to true slicks in one scene, by geodesic polygon Dice.

Within a scene, predictions are taken in descending ``machine_confidence`` (equal
confidences in their given order); each is matched to the still unmatched true slick *of
its class* with the highest Dice, when that Dice reaches the threshold:
``Dice(a, b) = 2·area(a ∩ b) / (area(a) + area(b))``, areas in km² on the WGS84
ellipsoid. A prediction matches at most one truth and a truth at most one prediction,
so a slick found in two pieces is one match and one false slick.

Dice rather than IoU: it is the match rule the serving row names
(``groundtruth_dice_thresh``) and SkyTruth's evaluation used; the two rank pairs the same
way (``Dice = 2·IoU / (1 + IoU)``), so only the threshold's scale differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely

from cerulean_eval.slicks import MapSlick, area_km2


@dataclass(frozen=True)
class SlickMatch:
    """A predicted slick matched to a true one."""

    truth: int
    prediction: int
    dice: float


def polygon_dice(a: MapSlick, b: MapSlick) -> float:
    """Geodesic Dice of two slicks' polygons (0 when they do not overlap)."""
    inter = area_km2(shapely.intersection(a.geometry, b.geometry))
    if inter <= 0:
        return 0.0
    return 2 * inter / (a.area_km2 + b.area_km2)


def match_slicks(truth: Sequence[MapSlick], preds: Sequence[MapSlick],
                 dice_threshold: float) -> list[SlickMatch]:
    """One scene's matches (see the module docstring), in the order they were made.

    Args:
        truth: the scene's true slicks.
        preds: the scene's predicted slicks.
        dice_threshold: the lowest Dice that makes a match (``groundtruth_dice_thresh``).
    """
    matches: list[SlickMatch] = []
    if not truth or not preds:
        return matches
    tree = shapely.STRtree([t.geometry for t in truth])
    taken: set[int] = set()
    for j in sorted(range(len(preds)), key=lambda k: -preds[k].confidence):
        pred = preds[j]
        best, best_dice = -1, 0.0
        for hit in tree.query(pred.geometry, predicate="intersects"):
            i = int(hit)
            if i in taken or truth[i].label != pred.label:
                continue
            dice = polygon_dice(truth[i], pred)
            if dice > best_dice:
                best, best_dice = i, dice
        if best >= 0 and best_dice >= dice_threshold:
            taken.add(best)
            matches.append(SlickMatch(best, j, best_dice))
    return matches


__all__ = ["SlickMatch", "match_slicks", "polygon_dice"]
