"""The model bundle: one folder that carries a model with everything needed to run it.

A bundle stops train/predict drift: the exact input channels and scaling, the class
table, the tile grid and the post-processing preset travel with the weights, so the
code that runs a model never guesses them. Layout of ``<name>.bundle/``::

    model.ts                   TorchScript, CPU, eval mode (traced UNet / scripted Mask R-CNN)
    model.onnx                 optional, UNet only
    weights.pt                 state dict (always loaded with ``weights_only=True``)
    bundle.json                this module's :class:`BundleManifest`
    cerulean-cloud-model.json  the serving service's model row (:mod:`cerulean_infer.serving_row`)

This module is the single definition of ``bundle.json``: cerulean-train writes it with
:meth:`BundleManifest.write`, cerulean-infer and cerulean-eval read it with
:meth:`BundleManifest.read`. It imports no torch, so reading a bundle's description is
cheap.

Model call conventions (what ``model.ts`` accepts and returns):

- ``unet``: float ``[B, C, H, W]`` (``C = len(channels)``, values = uint8 tile ×
  ``input_scale``) → logits ``[B, len(classes), H, W]``; softmax is the caller's.
- ``maskrcnn``: a list of float ``[C, H, W]`` tensors → ``(losses, detections)`` as
  torchvision's scripted models return it; ``detections[i]`` has ``boxes [N, 4]``
  (x0, y0, x1, y1 pixels), ``labels [N]`` (indices into ``classes``), ``scores [N]`` and
  ``masks [N, 1, H, W]`` (probabilities).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from cerulean_infer.errors import BundleError
from cerulean_tiling.channels import parse_channel
from cerulean_tiling.errors import ChannelError

FORMAT_VERSION = 1
"""Version of ``bundle.json``; readers refuse any other."""

BUNDLE_JSON = "bundle.json"
MODEL_TS = "model.ts"
MODEL_ONNX = "model.onnx"
WEIGHTS = "weights.pt"
SERVING_ROW = "cerulean-cloud-model.json"

Arch = Literal["unet", "maskrcnn"]
ARCHS: tuple[str, ...] = get_args(Arch)

@dataclass(frozen=True)
class Runtime:
    """The torch build a bundle's TorchScript was made and verified in."""

    torch: str
    torchvision: str
    verified: bool = False
    """True when ``model.ts`` was loaded in that runtime and matched the eager model."""


@dataclass(frozen=True)
class BundleManifest:
    """What ``bundle.json`` says about a model.

    Attributes:
        name: the model's name (the bundle folder's stem by default).
        arch: ``unet`` (semantic) or ``maskrcnn`` (instances).
        backbone: the backbone's name as cerulean-train knows it (``resnet34``, ...).
        classes: model output index → class name; ``classes[0]`` is ``background``.
        category_ids: model output index → COCO category id of the training data
            (after ``class_preset``); index 0 (background) maps to 0.
        class_preset: the remap preset applied to the annotations (``cloud4``) or None.
        channels: input channels in order, as cerulean-tiling names them.
        input_scale: float input = uint8 tile value × ``input_scale`` (1/255: 0–1).
        tile_size: side of the square tiles the model was trained for, in pixels.
        grid: ``tms`` (WorldCRS84Quad, the serving grid) or ``pixel``.
        zoom: WorldCRS84Quad zoom of the tiles.
        postprocess: name of the cerulean-infer post-processing preset.
        runtime: the torch build ``model.ts`` targets.
        has_onnx: whether the bundle ships ``model.onnx``.
        training: summary of the training run (epochs, datasets, seed, config, ...).
        metrics: the trainer's validation numbers of the exported weights, under its own
            ``val_*`` names (``val_oil_iou``, ``val_segm_ap`` ...). They are computed on
            raw tile outputs, not through the served post-processing, and never become a
            serving row's ``pixel_f1`` / ``instance_f1`` (cerulean-eval measures those).
        versions: package versions that made the bundle.
        format_version: :data:`FORMAT_VERSION`.
    """

    name: str
    arch: Arch
    backbone: str
    classes: tuple[str, ...]
    category_ids: tuple[int, ...]
    channels: tuple[str, ...]
    postprocess: str
    runtime: Runtime
    class_preset: str | None = None
    input_scale: float = 1 / 255
    tile_size: int = 512
    grid: str = "tms"
    zoom: int = 9
    has_onnx: bool = False
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        self.check()

    def check(self, where: str = "bundle") -> None:
        """Raise :class:`BundleError` (naming ``where``) when the fields contradict."""
        if self.format_version != FORMAT_VERSION:
            raise BundleError(f"{where}: format_version {self.format_version} is not "
                              f"supported (this cerulean-infer reads {FORMAT_VERSION})")
        if self.arch not in ARCHS:
            raise BundleError(f"{where}: arch {self.arch!r} is not one of {', '.join(ARCHS)}")
        if len(self.classes) < 2 or self.classes[0] != "background":
            raise BundleError(f"{where}: classes must start with 'background' and name at "
                              f"least one class, got {list(self.classes)}")
        if len(self.category_ids) != len(self.classes) or self.category_ids[0] != 0:
            raise BundleError(f"{where}: category_ids {list(self.category_ids)} do not pair "
                              f"with classes {list(self.classes)} (index 0 must be 0)")
        if not self.channels:
            raise BundleError(f"{where}: channels is empty")
        for channel in self.channels:
            try:
                parse_channel(channel)
            except ChannelError as exc:
                raise BundleError(f"{where}: {exc}") from None
        if self.arch == "maskrcnn" and len(self.channels) != 3:
            raise BundleError(f"{where}: a maskrcnn bundle needs 3 channels, got "
                              f"{list(self.channels)}")
        if self.tile_size <= 0 or not 0 < self.input_scale <= 1:
            raise BundleError(f"{where}: tile_size {self.tile_size} / input_scale "
                              f"{self.input_scale} out of range")
        if self.has_onnx and self.arch != "unet":
            raise BundleError(f"{where}: only unet bundles may ship model.onnx")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for tuples, the runtime as an object)."""
        doc = asdict(self)
        doc["classes"] = list(self.classes)
        doc["category_ids"] = list(self.category_ids)
        doc["channels"] = list(self.channels)
        return doc

    @classmethod
    def from_json(cls, doc: Any, where: str = "bundle.json") -> BundleManifest:
        """Parse and check a ``bundle.json`` document.

        Raises:
            BundleError: a missing or unknown key, a wrong type or a contradiction
                (the message names ``where`` and the key).
        """
        if not isinstance(doc, dict):
            raise BundleError(f"{where}: expected a JSON object")
        version = doc.get("format_version")
        if version != FORMAT_VERSION:
            raise BundleError(f"{where}: format_version {version!r} is not supported "
                              f"(this cerulean-infer reads {FORMAT_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise BundleError(f"{where}: unknown key {unknown[0]!r}")
        try:
            runtime = Runtime(**doc["runtime"])
            values = dict(doc, runtime=runtime, classes=tuple(doc["classes"]),
                          category_ids=tuple(int(i) for i in doc["category_ids"]),
                          channels=tuple(doc["channels"]))
            manifest = cls(**values)
        except KeyError as exc:
            raise BundleError(f"{where}: missing key {exc.args[0]!r}") from None
        except TypeError as exc:
            raise BundleError(f"{where}: {exc}") from None
        _check_types(manifest, where)
        return manifest

    @classmethod
    def read(cls, bundle: Path | str) -> BundleManifest:
        """Read ``bundle.json`` from a bundle folder.

        Raises:
            BundleError: no bundle there, or its ``bundle.json`` is not valid.
        """
        path = Path(bundle) / BUNDLE_JSON
        if not Path(bundle).is_dir():
            raise BundleError(f"{bundle}: not a bundle folder")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleError(f"{path}: missing (not a model bundle)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"{path}: unreadable ({exc})") from None
        return cls.from_json(doc, str(path))

    def write(self, bundle: Path | str) -> None:
        """Write ``bundle.json`` into ``bundle`` atomically."""
        from cerulean_tiling.atomic import write_json

        write_json(Path(bundle) / BUNDLE_JSON, self.to_json(), indent=2, what="bundle.json")


def _check_types(manifest: BundleManifest, where: str) -> None:
    expected: dict[str, type | tuple[type, ...]] = {
        "name": str, "backbone": str, "postprocess": str, "grid": str,
        "tile_size": int, "zoom": int, "input_scale": (int, float), "has_onnx": bool,
        "training": dict, "metrics": dict, "versions": dict,
    }
    for key, kind in expected.items():
        if not isinstance(getattr(manifest, key), kind):
            raise BundleError(f"{where}: {key} has the wrong type "
                              f"({type(getattr(manifest, key)).__name__})")
    if not all(isinstance(c, str) for c in manifest.classes + manifest.channels):
        raise BundleError(f"{where}: classes and channels must be strings")


__all__ = [
    "ARCHS",
    "BUNDLE_JSON",
    "FORMAT_VERSION",
    "MODEL_ONNX",
    "MODEL_TS",
    "SERVING_ROW",
    "WEIGHTS",
    "Arch",
    "BundleManifest",
    "Runtime",
]
