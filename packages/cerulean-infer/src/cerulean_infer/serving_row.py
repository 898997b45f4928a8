"""The serving service's model row (``cerulean-cloud-model.json``).

cerulean-cloud registers each model as a database row and reads everything it needs
to run the model from it: ``type`` (``FASTAIUNET`` or ``MASKRCNN``), ``file_path``,
``layers`` (input channels by the service's names), ``cls_map`` (output index → class
name), ``thresholds``, ``tile_width_m`` and ``tile_width_px`` (from which it derives the
zoom), plus descriptive fields. :class:`ServingRow` reads such a row (so production
models run here unchanged) and builds one from a bundle (so a bundle made here is a
drop-in for the service).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cerulean_infer.bundle import BundleManifest, Runtime
from cerulean_infer.errors import BundleError
from cerulean_infer.presets import PostprocessPreset
from cerulean_tiling.channels import CONSTANT, INFRA_DISTANCE, VESSEL_DENSITY, VV

ROW_TYPES = {"unet": "FASTAIUNET", "maskrcnn": "MASKRCNN"}
"""Our architecture name → the service's model ``type``."""

LAYERS = {VV: "VV", INFRA_DISTANCE: "INFRA", VESSEL_DENSITY: "VESSEL",
          CONSTANT: "ALL_255", f"{CONSTANT}=255": "ALL_255", f"{CONSTANT}=0": "ALL_ZEROS"}
"""Our channel names → the service's layer names."""

CLASS_NAMES = {"background": "BACKGROUND", "infra_slick": "INFRA",
               "natural_seep": "NATURAL", "vessel": "VESSEL"}
"""Our class names → the service's ``cls_map`` names (others are upper-cased)."""

_CHANNELS = {"VV": VV, "INFRA": INFRA_DISTANCE, "VESSEL": VESSEL_DENSITY,
             "ALL_255": CONSTANT, "ALL_ZEROS": f"{CONSTANT}=0"}
"""The service's layer names → our channel names."""

_CLASSES = {v: k for k, v in CLASS_NAMES.items()}

SERVICE_CIRCUMFERENCE_M = 40_075_000.0
"""The equatorial circumference the service's ``model`` table uses (metres, rounded)."""


def tile_width_m(zoom: int) -> int:
    """East-west width of a WorldCRS84Quad tile at ``zoom`` as the service stores it.

    WorldCRS84Quad has 2 tiles across 360° at zoom 0, so a tile spans 180°/2^zoom; the
    row's ``tile_width_m`` column is an integer number of metres at the equator.
    """
    return round(SERVICE_CIRCUMFERENCE_M / 2.0 ** (zoom + 1))


def zoom_for_tile_width_m(width_m: float) -> int:
    """The zoom the service derives from a row's ``tile_width_m``.

    The service's ``model`` table computes ``zoom_level`` as a generated column,
    ``round(log2(40075000 / tile_width_m)) - 1``, in PostgreSQL numerics, whose
    ``round`` sends halves away from zero (Python's ``round`` would send them to even).
    A production row with ``tile_width_m`` 40844 therefore runs at zoom 9.
    """
    if width_m <= 0:
        raise BundleError(f"tile_width_m {width_m} must be positive")
    return max(0, math.floor(math.log2(SERVICE_CIRCUMFERENCE_M / width_m) + 0.5) - 1)


def scale_for_tile_width_px(width_px: int) -> int:
    """The service's ``scale`` column: tile width in units of 256 pixels, rounded."""
    return math.floor(width_px / 256 + 0.5)


@dataclass(frozen=True)
class ServingRow:
    """One model row of the serving service."""

    type: str
    file_path: str
    layers: tuple[str, ...]
    cls_map: dict[int, str]
    name: str
    tile_width_m: float
    tile_width_px: int
    thresholds: dict[str, float]
    epochs: int | None = None
    backbone_size: int | None = None
    pixel_f1: float | None = None
    instance_f1: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Row columns this module does not interpret, kept as they were."""

    @property
    def arch(self) -> str:
        """Our architecture name for the row's ``type``."""
        for arch, row_type in ROW_TYPES.items():
            if row_type == self.type:
                return arch
        raise BundleError(f"model row type {self.type!r} is not one of "
                          f"{', '.join(ROW_TYPES.values())}")

    @property
    def zoom(self) -> int:
        """The zoom the service derives from ``tile_width_m``."""
        return zoom_for_tile_width_m(self.tile_width_m)

    @property
    def scale(self) -> int:
        """The service's ``scale`` (tile width in units of 256 px)."""
        return scale_for_tile_width_px(self.tile_width_px)

    def to_manifest(self, name: str | None = None) -> BundleManifest:
        """A :class:`BundleManifest` describing this row's model, so it runs like a bundle.

        Layers and classes are translated back to our names (``VV`` → ``vv``,
        ``INFRA`` → ``infra_distance``, ``NATURAL`` → ``natural_seep`` ...); the
        runtime is the service's (torch 2.0.1 / torchvision 0.15.2). A row with the
        service's own four classes takes the ``cloud4`` class preset and its category
        ids, so its outputs meet annotations of the full class table through it.

        Raises:
            BundleError: a layer or class the service does not define, a ``cls_map``
                that is not 0…K−1 with BACKGROUND at 0, or an unusable tile size.
        """
        where = f"model row {self.name or self.file_path or ''}".strip()
        channels = []
        for layer in self.layers:
            if layer not in _CHANNELS:
                raise BundleError(f"{where}: unknown layer {layer!r}; known: "
                                  f"{', '.join(_CHANNELS)}")
            channels.append(_CHANNELS[layer])
        if sorted(self.cls_map) != list(range(len(self.cls_map))):
            raise BundleError(f"{where}: cls_map keys {sorted(self.cls_map)} are not 0…K−1")
        classes = tuple(_CLASSES.get(self.cls_map[i], self.cls_map[i].lower())
                        for i in range(len(self.cls_map)))
        if self.tile_width_px <= 0:
            raise BundleError(f"{where}: tile_width_px {self.tile_width_px} must be positive")
        class_preset, category_ids = _serving_classes(classes)
        return BundleManifest(
            name=name or self.name or Path(self.file_path).stem or "serving-model",
            arch=self.arch,  # type: ignore[arg-type]
            backbone=f"resnet{self.backbone_size}" if self.backbone_size else "unknown",
            classes=classes, category_ids=category_ids, class_preset=class_preset,
            channels=tuple(channels), postprocess=f"{self.arch}-serving",
            runtime=Runtime(torch="2.0.1", torchvision="0.15.2"),
            tile_size=self.tile_width_px, zoom=self.zoom,
        )

    def to_preset(self) -> PostprocessPreset:
        """The serving preset of the row's architecture with the row's thresholds."""
        from cerulean_infer.presets import default_preset

        base = default_preset(self.arch)
        known = set(base.serving_thresholds()) | {"pixel_nms_thresh"}
        return base.override(**{k: v for k, v in self.thresholds.items() if k in known})

    @classmethod
    def from_manifest(cls, manifest: BundleManifest, postprocess: PostprocessPreset,
                      file_path: str = "model.ts", pixel_f1: float | None = None,
                      instance_f1: float | None = None) -> ServingRow:
        """The row that registers ``manifest``'s model with the service.

        ``pixel_f1`` and ``instance_f1`` stay null unless given: a row carries only
        numbers cerulean-eval measured through the served post-processing, on named
        data (never the trainer's validation numbers).
        """
        backbone_digits = "".join(ch for ch in manifest.backbone if ch.isdigit())
        return cls(
            type=ROW_TYPES[manifest.arch],
            file_path=file_path,
            layers=tuple(_layer(c) for c in manifest.channels),
            cls_map={i: CLASS_NAMES.get(n, n.upper()) for i, n in enumerate(manifest.classes)},
            name=manifest.name,
            tile_width_m=tile_width_m(manifest.zoom),
            tile_width_px=manifest.tile_size,
            thresholds=postprocess.serving_thresholds(),
            epochs=manifest.training.get("epochs"),
            backbone_size=int(backbone_digits) if backbone_digits else None,
            pixel_f1=pixel_f1,
            instance_f1=instance_f1,
        )

    def to_json(self) -> dict[str, Any]:
        """The row as JSON (``cls_map`` keys as strings, as JSON requires)."""
        doc = asdict(self)
        extra = doc.pop("extra")
        doc["layers"] = list(self.layers)
        doc["cls_map"] = {str(k): v for k, v in self.cls_map.items()}
        return {**extra, **doc}

    @classmethod
    def from_json(cls, doc: Any, where: str = "model row") -> ServingRow:
        """Parse a row; unknown columns are kept in :attr:`extra`.

        Raises:
            BundleError: a required column is missing or has the wrong type.
        """
        if not isinstance(doc, dict):
            raise BundleError(f"{where}: expected a JSON object")
        required = ("type", "layers", "cls_map", "thresholds", "tile_width_m", "tile_width_px")
        for key in required:
            if key not in doc:
                raise BundleError(f"{where}: missing key {key!r}")
        try:
            cls_map = {int(k): str(v) for k, v in dict(doc["cls_map"]).items()}
            thresholds = {str(k): float(v) for k, v in dict(doc["thresholds"]).items()
                          if v is not None}
            layers = doc["layers"]
            if isinstance(layers, str) or not all(isinstance(x, str) for x in layers):
                raise TypeError("layers must be a list of names")
            known = {"type", "file_path", "layers", "cls_map", "name", "tile_width_m",
                     "tile_width_px", "thresholds", "epochs", "backbone_size", "pixel_f1",
                     "instance_f1"}
            row = cls(
                type=str(doc["type"]), file_path=str(doc.get("file_path", "")),
                layers=tuple(layers), cls_map=cls_map, name=str(doc.get("name", "")),
                tile_width_m=float(doc["tile_width_m"]),
                tile_width_px=int(doc["tile_width_px"]), thresholds=thresholds,
                epochs=doc.get("epochs"), backbone_size=doc.get("backbone_size"),
                pixel_f1=doc.get("pixel_f1"), instance_f1=doc.get("instance_f1"),
                extra={k: v for k, v in doc.items() if k not in known},
            )
        except (TypeError, ValueError) as exc:
            raise BundleError(f"{where}: {exc}") from None
        row.arch  # noqa: B018 - validates the type column
        return row

    @classmethod
    def read(cls, path: Path | str) -> ServingRow:
        """Read a row from a JSON file.

        Raises:
            BundleError: the file is missing, not JSON, or not a model row.
        """
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleError(f"{path}: no such model row file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"{path}: unreadable model row ({exc})") from None
        return cls.from_json(doc, str(path))

    def write(self, path: Path | str) -> None:
        """Write the row as JSON atomically."""
        from cerulean_tiling.atomic import write_json

        write_json(Path(path), self.to_json(), indent=2, what="model row")


def _serving_classes(classes: tuple[str, ...]) -> tuple[str | None, tuple[int, ...]]:
    """The class preset and category ids of a row's classes.

    A row whose classes are exactly ``cloud4``'s (the service's table) names the preset,
    so its outputs are compared with annotations through it (the three vessel classes
    as ``vessel``); other tables get category ids 0…K−1 and no preset.
    """
    from cerulean_tiling import CLASSES, ClassMap

    cloud4 = ClassMap.build(CLASSES, "cloud4")
    if classes == cloud4.names:
        return cloud4.preset, cloud4.category_ids
    return None, tuple(range(len(classes)))


def _layer(channel: str) -> str:
    try:
        return LAYERS[channel]
    except KeyError:
        raise BundleError(f"channel {channel!r} has no serving layer name") from None


__all__ = ["CLASS_NAMES", "LAYERS", "ROW_TYPES", "SERVICE_CIRCUMFERENCE_M", "ServingRow",
           "scale_for_tile_width_px", "tile_width_m", "zoom_for_tile_width_m"]
