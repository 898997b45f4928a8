"""Scene lists: the GeoJSON FeatureCollection ``cerulean-tiling search -o`` writes.

One feature per scene, ``properties.scene_id`` naming it; ``download`` and
``annotation-manifest`` both read lists through :func:`read_scene_list`, so a file one
accepts the other accepts too. Reading needs nothing beyond the base install.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cerulean_tiling.errors import SceneReadError
from cerulean_tiling.jsonio import read_feature_collection

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class ListedScene:
    """One feature of a scene list.

    Attributes:
        scene_id: ``properties.scene_id`` as written (not checked against S1 naming here).
        provider: ``properties.provider`` when it is a string (the catalogue that listed it).
        properties: the other scalar properties (start time, orbits, ...), in key order.
    """

    scene_id: str
    provider: str | None = None
    properties: Mapping[str, Scalar] = field(default_factory=dict)

    @classmethod
    def from_feature(cls, feature: Any) -> ListedScene:
        """Parse a GeoJSON feature.

        Raises:
            ValueError: the feature has no non-empty string ``properties.scene_id``.
        """
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            props = {}
        scene_id = props.get("scene_id")
        if not isinstance(scene_id, str) or not scene_id:
            raise ValueError("has no properties.scene_id")
        provider = props.get("provider")
        kept = {
            k: v for k, v in sorted(props.items())
            if k != "scene_id" and (v is None or isinstance(v, str | int | float | bool))
        }
        return cls(scene_id, provider if isinstance(provider, str) else None, kept)


def read_scene_list(path: Path) -> list[ListedScene]:
    """The scenes of a GeoJSON scene list, in file order.

    Raises:
        SceneReadError: unreadable, not JSON, not a FeatureCollection with a
            ``features`` list, or a feature without ``properties.scene_id`` (the message
            names the file and the feature's number).
    """
    path = Path(path)
    features = read_feature_collection(path, "scene list", error=SceneReadError)
    scenes = []
    for number, feature in enumerate(features, start=1):
        try:
            scenes.append(ListedScene.from_feature(feature))
        except ValueError as exc:
            raise SceneReadError(f"{path}: feature {number} {exc}") from None
    return scenes


__all__ = ["ListedScene", "Scalar", "read_scene_list"]
