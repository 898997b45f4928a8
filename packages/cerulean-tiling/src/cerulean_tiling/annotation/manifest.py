"""The annotation page's manifest: which scenes annotators open, and from where.

The annotation page (``annotation-ui/``) is static; it learns everything from one
``manifest.json``::

    {"format_version": 1,
     "generator": "cerulean-tiling 0.1.0",
     "base_url": "https://data.example/scenes/",
     "classes": [{"id": 1, "name": "infra_slick", "colour": [0, 0, 255]}, ...],
     "scenes": [{"scene_id": "S1A_IW_GRDH_…", "class_folder": "Recent",
                 "background": "https://data.example/scenes/Recent/S1A_…/Background.png",
                 "gcps": "…/gcps.json" or null,
                 "overlays": [{"name": "infrastructure", "url": "…"}],
                 "properties": {"start": "…", ...}}, ...]}

The class table is copied from :data:`cerulean_tiling.classes.CLASSES` so the page
paints with exactly the colours the tiler decodes.

Scene URLs mirror the scene folder layout under ``base_url``: a scene folder
``<root>/<class_folder>/<scene_id>/`` is served at ``<base_url><class_folder>/<scene_id>/``,
so serving ``<root>`` at ``base_url`` is all the hosting needed. A scene from a search
result (a GeoJSON FeatureCollection whose features carry ``properties.scene_id``) has no
folder yet; its background is ``<base_url><scene_id>/Background.png`` and its class
folder is the one given. Quicklooks in search results are not used as backgrounds: they
are map-projected previews, while the layers must be painted in the radar geometry of
Background.png that the GCPs describe.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from cerulean_tiling.acquire.scene_list import Scalar, read_scene_list
from cerulean_tiling.classes import CLASSES
from cerulean_tiling.errors import ConfigError, OutputError, SceneIdError, SceneReadError
from cerulean_tiling.jsonio import write_json
from cerulean_tiling.scenes.folder import GCPS_NAME, discover_scenes, open_scene
from cerulean_tiling.scenes.sceneid import parse_scene_id
from cerulean_tiling.version import __version__

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_CLASS_FOLDER = "unsorted"
"""Class folder given to scenes that come from a search result rather than a folder."""


_OVERLAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _\-]*$")
_TEMPLATE_FIELDS = ("scene_id", "class_folder")


@dataclass(frozen=True)
class Overlay:
    """A reference layer shown over every scene (earlier detections, infrastructure).

    Attributes:
        name: label of the layer in Photopea (``overlay: <name>``).
        template: URL with ``{scene_id}`` and ``{class_folder}`` placeholders; a
            relative template is resolved against the manifest's base URL.
    """

    name: str
    template: str

    def url(self, base_url: str, scene_id: str, class_folder: str) -> str:
        """The overlay's URL for one scene."""
        filled = self.template.format(
            scene_id=quote(scene_id), class_folder=quote(class_folder)
        )
        if urlsplit(filled).scheme or filled.startswith("/"):
            return filled
        return base_url + filled


@dataclass(frozen=True)
class ManifestScene:
    """One scene entry of the manifest."""

    scene_id: str
    class_folder: str
    background: str
    gcps: str | None = None
    overlays: tuple[tuple[str, str], ...] = ()
    properties: Mapping[str, Scalar] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``<class_folder>/<scene_id>``: unique within a manifest, and the export path."""
        return f"{self.class_folder}/{self.scene_id}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, in the manifest's field order."""
        return {
            "scene_id": self.scene_id,
            "class_folder": self.class_folder,
            "background": self.background,
            "gcps": self.gcps,
            "overlays": [{"name": n, "url": u} for n, u in self.overlays],
            "properties": dict(self.properties),
        }


@dataclass(frozen=True)
class Manifest:
    """What the annotation page lists: scenes, and the class table it paints with."""

    base_url: str
    scenes: tuple[ManifestScene, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``manifest.json`` document (see the module docstring)."""
        return {
            "format_version": FORMAT_VERSION,
            "generator": f"cerulean-tiling {__version__}",
            "base_url": self.base_url,
            "classes": [
                {"id": c.id, "name": c.name, "colour": list(c.colour)} for c in CLASSES
            ],
            "scenes": [scene.to_json() for scene in self.scenes],
        }


def overlay_from_spec(spec: str) -> Overlay:
    """Parse ``NAME=URL_TEMPLATE`` (the CLI's ``--overlay`` value).

    Raises:
        ConfigError: no ``=``, an empty or odd name, or an unknown ``{placeholder}``.
    """
    name, sep, template = spec.partition("=")
    name, template = name.strip(), template.strip()
    if not sep or not template:
        raise ConfigError(f"{spec!r}: expected NAME=URL_TEMPLATE")
    if not _OVERLAY_NAME.match(name):
        raise ConfigError(f"{spec!r}: overlay name must be letters, digits, spaces, - or _")
    try:
        template.format(**dict.fromkeys(_TEMPLATE_FIELDS, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"{spec!r}: bad placeholder {exc}; known: {{scene_id}}, {{class_folder}}"
        ) from None
    return Overlay(name, template)


def normalise_base_url(base_url: str) -> str:
    """Return ``base_url`` ending in ``/``; it may be absolute (http/https) or relative.

    Raises:
        ConfigError: an empty URL or a scheme other than http/https.
    """
    base_url = base_url.strip()
    if not base_url:
        raise ConfigError("base URL is empty")
    scheme = urlsplit(base_url).scheme
    if scheme and scheme not in ("http", "https"):
        raise ConfigError(f"{base_url!r}: base URL must be http(s) or relative to the manifest")
    return base_url if base_url.endswith("/") else base_url + "/"


def build_manifest(
    inputs: Iterable[Path],
    base_url: str,
    overlays: Sequence[Overlay] = (),
    class_folder: str = DEFAULT_CLASS_FOLDER,
) -> Manifest:
    """Build the manifest for scene folders and search results.

    Args:
        inputs: scene folders, roots of class folders, scene list files (see
            :func:`cerulean_tiling.scenes.folder.discover_scenes`), or search-result GeoJSON files
            (recognised by their content: a JSON object).
        base_url: where the scene root is served (see the module docstring).
        overlays: reference layers added to every scene.
        class_folder: class folder of scenes that come from a search result.

    Returns:
        The manifest, scenes sorted by class folder and scene id.

    Raises:
        SceneReadError: an input is missing, holds no scene, or is malformed JSON.
        SceneIdError: a folder or feature carries an unparseable scene id.
    """
    base_url = normalise_base_url(base_url)
    scenes: dict[str, ManifestScene] = {}
    for item in inputs:
        item = Path(item)
        if item.is_file() and _looks_like_json(item):
            found = scenes_from_search(item, base_url, overlays, class_folder)
        else:
            found = [scene_from_folder(p, base_url, overlays) for p in discover_scenes([item])]
        for scene in found:
            if scene.key in scenes:
                logger.warning("%s: scene %s listed twice; keeping the first", item, scene.key)
                continue
            scenes[scene.key] = scene
    return Manifest(base_url, tuple(scenes[k] for k in sorted(scenes)))


def scene_from_folder(
    path: Path, base_url: str, overlays: Sequence[Overlay] = ()
) -> ManifestScene:
    """The manifest entry of a scene folder served under ``base_url``."""
    scene = open_scene(path)
    folder_url = f"{base_url}{quote(scene.class_folder)}/{quote(scene.scene_id.value)}/"
    gcps = folder_url + GCPS_NAME if (scene.path / GCPS_NAME).is_file() else None
    return ManifestScene(
        scene_id=scene.scene_id.value,
        class_folder=scene.class_folder,
        background=folder_url + quote(scene.background.name),
        gcps=gcps,
        overlays=_overlay_urls(overlays, base_url, scene.scene_id.value, scene.class_folder),
    )


def scenes_from_search(
    path: Path,
    base_url: str,
    overlays: Sequence[Overlay] = (),
    class_folder: str = DEFAULT_CLASS_FOLDER,
) -> list[ManifestScene]:
    """Manifest entries for the features of a search-result FeatureCollection.

    Scalar feature properties (start time, orbit, ...) are kept for display.

    Raises:
        SceneReadError: the file is not a FeatureCollection of features with a scene id.
        SceneIdError: a feature's scene id is unparseable.
    """
    out = []
    for number, listed in enumerate(read_scene_list(path), start=1):
        try:
            scene_id = parse_scene_id(listed.scene_id).value
        except SceneIdError as exc:
            raise SceneIdError(f"{path}: feature {number}: {exc}") from None
        out.append(
            ManifestScene(
                scene_id=scene_id,
                class_folder=class_folder,
                background=f"{base_url}{quote(scene_id)}/Background.png",
                overlays=_overlay_urls(overlays, base_url, scene_id, class_folder),
                properties=dict(listed.properties),
            )
        )
    return out


def write_manifest(manifest: Manifest, path: Path) -> None:
    """Write ``manifest`` as JSON to ``path`` atomically (temporary file, then rename).

    Raises:
        OutputError: the folder of ``path`` does not exist or cannot be written.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")
    write_json(path, manifest.to_json(), indent=2, what="annotation manifest")


def _overlay_urls(
    overlays: Sequence[Overlay], base_url: str, scene_id: str, class_folder: str
) -> tuple[tuple[str, str], ...]:
    return tuple((o.name, o.url(base_url, scene_id, class_folder)) for o in overlays)


def _looks_like_json(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(64).lstrip()
    except OSError as exc:
        raise SceneReadError(f"{path}: cannot read ({exc.strerror})") from None
    return head.startswith(b"{")
