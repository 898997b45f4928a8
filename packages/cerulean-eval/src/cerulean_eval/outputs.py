"""Writing an evaluation folder: metrics, the scored slicks, the measured row, the card.

The folder is staged and renamed into place when complete, so it is either there in
full or not at all::

    metrics.json               every number, the settings, the data and the source
    slicks.geojson             exactly the slicks that were scored (lon/lat), one feature
                               each, with cerulean-infer's properties plus ``matched``
                               and ``match_dice``; every slick count counts these
    cerulean-cloud-model.json  (model runs) the serving row with the measured pixel_f1
                               and instance_f1 and the thresholds used, ready to insert
    model_card.json            (model runs) data, training, metrics with intervals,
    MODEL_CARD.md              thresholds, runtime and known limits
    cm_count.png               pixel confusion matrix of the served slicks, counts
    cm_normed_true.png         ... normalised by truth (rows sum to 1)
    cm_normed_pred.png         ... normalised by prediction (columns sum to 1)
    cm_instances.png           diagnostic: raw tile instances' confusion matrix
    pr_curves.png              diagnostic: raw mask precision–recall; pixel confidence sweep
    examples.png               best and worst tiles: image, truth, served slicks
    maps/<scene>.png           scenes on the map: VV, true and served slicks by how they
                               matched (the scenes with the most slicks, ``--maps``)
    report.html                all of the above in one standalone page
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cerulean_eval.card import card_markdown, model_card
from cerulean_eval.evaluation import EvalResult
from cerulean_eval.plots import confusion_png, examples_png, pr_png
from cerulean_eval.report import render_report
from cerulean_eval.row import measured_row
from cerulean_eval.scene_maps import scene_map_png
from cerulean_tiling.atomic import staged_folder, write_bytes, write_json, write_text

METRICS_JSON = "metrics.json"
SLICKS_GEOJSON = "slicks.geojson"
SERVING_ROW = "cerulean-cloud-model.json"
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
REPORT_HTML = "report.html"
MAPS_DIR = "maps"


def map_file(scene_id: str) -> str:
    """A scene map's path in the output folder (characters unsafe in a file name → _)."""
    return f"{MAPS_DIR}/{re.sub(r'[^A-Za-z0-9._-]', '_', scene_id)}.png"


def map_pngs(result: EvalResult) -> dict[str, bytes]:
    """The drawn scenes' maps as PNG bytes by scene id, in scene order."""
    return {m.scene_id: scene_map_png(m) for m in result.maps}


def figures(result: EvalResult) -> dict[str, bytes]:
    """Every figure of ``result`` as PNG bytes by file name."""
    metrics = result.metrics
    names = metrics["classes"]["names"]
    pixel = metrics["pixel"]
    confusion = pixel["confusion"]
    out = {
        "cm_count.png": confusion_png(confusion["counts"], names,
                                      "served slicks on the pixels: counts", True),
        "cm_normed_true.png": confusion_png(confusion["normed_true"], names,
                                            "served slicks: normalised by truth", False),
        "cm_normed_pred.png": confusion_png(confusion["normed_pred"], names,
                                            "served slicks: normalised by prediction", False),
        "examples.png": examples_png(result.best, result.worst, names),
    }
    diagnostic = (metrics.get("diagnostic") or {}).get("tiles")
    if diagnostic:
        out["cm_instances.png"] = confusion_png(
            diagnostic["instance"]["matching"]["confusion"], ["none", *names[1:]],
            "diagnostic: raw tile instances (none = missed / false)", True, "true instance",
            "predicted instance")
        out["pr_curves.png"] = pr_png(diagnostic["curves"].get("segm_pr"),
                                      diagnostic["pixel"]["sweep"])
    return out


def write_outputs(result: EvalResult, output: Path, *, overwrite: bool = False,
                  title: str | None = None) -> Path:
    """Write the evaluation folder ``output`` (complete or absent).

    Raises:
        OutputError: ``output`` exists and not ``overwrite``, or cannot be written.
    """
    output = Path(output)
    metrics = result.metrics
    pngs = figures(result)
    maps = map_pngs(result)
    extra: dict[str, Any] = {}
    if result.model is not None:
        assert result.document.postprocess is not None
        row = measured_row(result.model, result.document.postprocess.preset,
                           result.document.summary, result.document.settings.match_dice)
        card = model_card(result.model, result.document, row)
        extra = {"row": row.to_json(), "card": card}
    page = render_report(metrics, pngs, title or f"cerulean-eval: {output.name}",
                         extra.get("row"), maps)
    with staged_folder(output, overwrite=overwrite) as staged:
        write_json(staged / METRICS_JSON, metrics, indent=2, what="metrics")
        write_json(staged / SLICKS_GEOJSON, result.slicks, what="scored slicks")
        if extra:
            write_json(staged / SERVING_ROW, extra["row"], indent=2, what="measured row")
            write_json(staged / CARD_JSON, extra["card"], indent=2, what="model card")
            write_text(staged / CARD_MD, card_markdown(extra["card"]), what="model card")
        for name, png in pngs.items():
            write_bytes(staged / name, png, what=name)
        if maps:
            (staged / MAPS_DIR).mkdir()
        for scene_id, png in maps.items():
            write_bytes(staged / map_file(scene_id), png, what=f"map of {scene_id}")
        write_text(staged / REPORT_HTML, page, what="report")
    return output


__all__ = ["CARD_JSON", "CARD_MD", "MAPS_DIR", "METRICS_JSON", "REPORT_HTML", "SERVING_ROW",
           "SLICKS_GEOJSON", "figures", "map_file", "map_pngs", "write_outputs"]
