"""The model card: what a model is, what it learnt from, what it was measured on, and how.

Written by ``cerulean-eval run`` as ``model_card.json`` and ``MODEL_CARD.md`` (the same
facts for people). Its parts:

- **model**: name, family, backbone, classes, channels, grid, and the runtime its
  TorchScript was verified in;
- **trained on**: the training and validation datasets the bundle names, with their
  annotations' hash and scene ids when the folders are at hand;
- **training**: epochs, best epoch, seed and the trainer's own validation numbers
  (``val_*``: raw tile outputs, not the served slicks);
- **measured on**: the evaluated dataset, its hash, its scenes and tiles;
- **metrics**: the headline numbers with their 95% bootstrap intervals over scenes;
- **thresholds** and post-processing the slicks were made and matched with, and where
  they were calibrated when the row has ``cerulean-eval calibrate``'s calibration.json
  beside it (the data, and whether any measured scene was among it);
- **evaluated in**: the packages and torch that ran the evaluation, device, backend;
- **known limits**: what these numbers do not say (one tileset, few scenes, scenes
  shared with training, an unverified runtime, ...).
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from cerulean_coco import CeruleanCocoError, CocoDataset
from cerulean_eval.calibration_outputs import calibration_provenance
from cerulean_eval.document import DataRecord, MetricsDocument
from cerulean_infer import ModelDescription, ServingRow

SERVING_TORCH = "2.0.1"
"""The torch the serving service runs models under."""

FEW_SCENES = 10
"""Below this many scenes, bootstrap intervals are rough (said in the card)."""


def trained_on(model: ModelDescription) -> dict[str, Any]:
    """The datasets a bundle was trained and validated on, described when at hand."""
    out: dict[str, Any] = {}
    for key in ("train", "val"):
        path = model.manifest.training.get(key)
        if not path:
            out[key] = None
            continue
        try:
            out[key] = {"available": True, **DataRecord.of(CocoDataset.open(path)).to_json()}
        except (CeruleanCocoError, OSError):
            out[key] = {"available": False, "dataset": str(path)}
    return out


def model_card(model: ModelDescription, document: MetricsDocument,
               row: ServingRow) -> dict[str, Any]:
    """The card's JSON (see the module docstring)."""
    manifest = model.manifest
    summary = document.summary.to_json()
    bounds = document.intervals.bounds if document.intervals else {}
    training = {k: manifest.training.get(k) for k in ("epochs", "best_epoch", "seed",
                                                     "stopped_early")}
    training["validation"] = dict(manifest.metrics)
    data = trained_on(model)
    calibration = calibration_provenance(model.row_path, dict(row.thresholds))
    if calibration is not None:
        calibration["shared_scenes"] = sorted(set(calibration["scenes"])
                                              & set(document.data.scenes))
    return {
        "model": {"name": manifest.name, "arch": manifest.arch, "backbone": manifest.backbone,
                  "source": str(model.source), "kind": model.kind,
                  "classes": list(manifest.classes), "channels": list(manifest.channels),
                  "grid": {"grid": manifest.grid, "zoom": manifest.zoom,
                           "tile_size": manifest.tile_size},
                  "runtime": {"torch": manifest.runtime.torch,
                              "torchvision": manifest.runtime.torchvision,
                              "verified": manifest.runtime.verified}},
        "trained_on": data,
        "training": training,
        "measured_on": document.data.to_json(),
        "metrics": {key: {"value": value, "interval_95": list(bounds[key])
                          if key in bounds else None}
                    for key, value in summary.items()},
        "intervals": document.intervals.to_json() if document.intervals else None,
        "postprocess": document.postprocess.to_json() if document.postprocess else None,
        "reclassified": document.reclassified or None,
        "thresholds": dict(row.thresholds),
        "calibration": calibration,
        "evaluated_in": {**_versions(), "device": document.source.device,
                         "backend": document.source.backend},
        "known_limits": known_limits(model, document, data, calibration),
    }


def known_limits(model: ModelDescription, document: MetricsDocument,
                 trained: dict[str, Any],
                 calibration: dict[str, Any] | None = None) -> list[str]:
    """What the numbers do not say, in sentences."""
    scenes = list(document.data.scenes)
    limits = [f"Measured on {len(scenes)} scene(s), {document.data.tiles} tiles; the 95% "
              "intervals resample these scenes and say nothing about scenes unlike them."]
    if len(scenes) < FEW_SCENES:
        limits.append(f"With fewer than {FEW_SCENES} scenes the intervals are rough.")
    limits.append("Each scene was predicted on its dataset tiles only, one unshifted "
                  "tileset: the service predicts three shifted tilesets of every water tile "
                  "and keeps the slicks they confirm. False slicks on tiles the dataset "
                  "does not hold are not counted.")
    limits.append(_not_oil_limit(document.reclassified))
    post = document.postprocess
    if post is not None and (post.merge != "serving"
                             or post.preset.name != f"{model.manifest.arch}-serving"):
        limits.append(f"Post-processed with {post.preset.name} and merge {post.merge}, "
                      "not the service's scheme.")
    runtime = model.manifest.runtime
    if not runtime.verified:
        limits.append(f"The TorchScript was not verified in a serving runtime (made with "
                      f"torch {runtime.torch}).")
    elif runtime.torch != SERVING_TORCH:
        limits.append(f"The TorchScript was verified in torch {runtime.torch}, not the "
                      f"service's {SERVING_TORCH}.")
    for key in ("train", "val"):
        record = trained.get(key)
        if record and record.get("available"):
            shared = sorted(set(record["scenes"]) & set(scenes))
            if shared:
                named = f"{', '.join(shared[:3])}{' ...' if len(shared) > 3 else ''}"
                limits.append(
                    f"{len(shared)} measured scene(s) are in the training data ({named}): "
                    "the numbers overstate the model on new scenes." if key == "train" else
                    f"{len(shared)} measured scene(s) were the training run's validation "
                    f"scenes ({named}), which chose the epoch kept: the numbers may "
                    "overstate the model on new scenes.")
        elif model.manifest.training.get(key):
            limits.append(f"The {key} dataset ({model.manifest.training[key]}) was not at "
                          "hand: overlap with the measured scenes was not checked.")
    if calibration is not None:
        if not calibration["used"]:
            limits.append(f"{calibration['file']} beside the row chose other thresholds "
                          f"({_pairs(calibration['thresholds'])}) than these.")
        elif calibration["shared_scenes"]:
            limits.append(f"The thresholds were calibrated on {len(calibration['shared_scenes'])}"
                          " of the measured scenes: the numbers overstate the model on new "
                          "scenes.")
    return limits


def _not_oil_limit(reclassified: dict[str, Any]) -> str:
    """What the numbers say about the service's LAND and SEA_ICE reclassification."""
    land, ice = reclassified.get("land"), reclassified.get("sea_ice")
    if land is None and ice is None:
        return ("The service's reclassification of slicks near land (1 km) or on sea ice "
                "is not applied (cerulean-eval run --land/--sea-ice applies it).")
    counts = reclassified.get("slicks", {})
    used = " and ".join(([f"land {land}"] if land is not None else [])
                        + ([f"sea ice {ice}"] if ice is not None else []))
    return (f"Served slicks were reclassified as the service does with {used}: "
            f"{counts.get('LAND', 0)} stored as LAND and {counts.get('SEA_ICE', 0)} as "
            "SEA_ICE are in no count; the masks' accuracy bounds these numbers.")


def _pairs(thresholds: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in thresholds.items())


def card_markdown(card: dict[str, Any]) -> str:
    """MODEL_CARD.md: the card for people."""
    m = card["model"]
    lines = [f"# Model card: {m['name']}", "",
             f"{m['arch']} ({m['backbone']}), {m['kind']} `{m['source']}`; classes "
             f"{', '.join(m['classes'])}; channels {', '.join(m['channels'])}; "
             f"{m['grid']['grid']} grid, zoom {m['grid']['zoom']}, {m['grid']['tile_size']} px "
             f"tiles. TorchScript made in torch {m['runtime']['torch']} / torchvision "
             f"{m['runtime']['torchvision']}"
             f"{', verified there' if m['runtime']['verified'] else ', not verified'}.", "",
             "## Metrics", "",
             "Measured on the slicks the model is served with (see the evaluation's "
             "README for each definition); 95% intervals from a bootstrap over scenes.", "",
             "| metric | value | 95% interval |", "|---|---|---|"]
    for key, entry in card["metrics"].items():
        value = entry["value"]
        if isinstance(value, dict):
            continue
        interval = entry["interval_95"]
        shown = f"{interval[0]:.3f} – {interval[1]:.3f}" if interval else "–"
        lines.append(f"| {key} | {_fmt(value)} | {shown} |")
    measured = card["measured_on"]
    lines += ["", "## Data", "",
              f"Measured on `{measured['dataset']}` (annotations sha256 "
              f"`{measured['annotations_sha256'][:16]}…`): {measured['tiles']} tiles of "
              f"{len(measured['scenes'])} scene(s): {', '.join(measured['scenes'])}.", ""]
    for key in ("train", "val"):
        record = card["trained_on"].get(key)
        if record is None:
            lines.append(f"- {key}: not recorded by the bundle.")
        elif record.get("available"):
            lines.append(f"- {key}: `{record['dataset']}`, {record['tiles']} tiles of "
                         f"{len(record['scenes'])} scene(s) (annotations sha256 "
                         f"`{record['annotations_sha256'][:16]}…`).")
        else:
            lines.append(f"- {key}: `{record['dataset']}` (not at hand).")
    training = card["training"]
    lines += ["", "## Training", "",
              f"Epochs {training['epochs']}, best epoch {training['best_epoch']}, seed "
              f"{training['seed']}. The trainer's validation numbers (raw tile outputs, "
              "not the served slicks): "
              + (", ".join(f"{k} {v:.3f}" for k, v in training["validation"].items())
                 or "none recorded") + ".", "",
              "## Thresholds", "",
              ", ".join(f"`{k}` {v}" for k, v in card["thresholds"].items()), "",
              _calibration_line(card.get("calibration")), ""]
    post = card["postprocess"]
    if post:
        lines.append(f"Post-processing: {post['preset']}, merge {post['merge']}, "
                     f"{post['tilesets']} tileset(s) per scene.")
    evaluated = card["evaluated_in"]
    lines += ["", "## Evaluated in", "",
              ", ".join(f"{k} {v}" for k, v in evaluated.items() if v), "",
              "## Known limits", "", *(f"- {limit}" for limit in card["known_limits"]), ""]
    return "\n".join(lines)


def _calibration_line(calibration: dict[str, Any] | None) -> str:
    if calibration is None:
        return ("The thresholds are the row's as given: no cerulean-eval calibration lies "
                "beside it.")
    if not calibration["used"]:
        return (f"`{calibration['file']}` beside the row chose {_pairs(calibration['thresholds'])}"
                "; this evaluation ran with other values.")
    return (f"{_pairs(calibration['thresholds'])}: calibrated by `cerulean-eval calibrate` on "
            f"`{calibration['dataset']}` (annotations sha256 "
            f"`{calibration['annotations_sha256'][:16]}…`, {calibration['tiles']} tiles of "
            f"{len(calibration['scenes'])} scene(s)); "
            + (f"{len(calibration['shared_scenes'])} of them were measured here."
               if calibration["shared_scenes"] else "none of them was measured here."))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("cerulean-eval", "cerulean-infer", "torch", "torchvision", "onnxruntime"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


__all__ = ["card_markdown", "known_limits", "model_card", "trained_on"]
