"""The standalone HTML report: one file, images inlined, no request leaves it.

The page holds the headline numbers, per-class pixel metrics, COCO AP, instance and
slick counts, the settings, and every figure as a ``data:image/png;base64`` URI, with
its styles inline, so it opens from disk, by mail or from a bucket, offline.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#1a1a1a;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f5f8}
figure{margin:1em 0}img{max-width:100%;height:auto}
.row{display:flex;flex-wrap:wrap;gap:1em}.row figure{margin:0;flex:1 1 340px}
.cards{display:flex;flex-wrap:wrap;gap:0.8em}
.card{border:1px solid #ddd;border-radius:6px;padding:0.6em 1em;min-width:9em}
.card b{display:block;font-size:1.4em}.muted{color:#666;font-size:0.85em}
pre{background:#f6f6f6;padding:0.8em;overflow:auto;font-size:0.8em}
"""

_HEADLINE = (("pixel_f1", "pixel F1 (oil macro)"), ("oil_iou", "oil IoU"),
             ("pixel_macro_f1", "pixel macro F1"), ("instance_f1", "instance F1"),
             ("segm_ap", "mask AP"), ("segm_ap50", "mask AP50"), ("bbox_ap", "box AP"),
             ("slicks_found", "slicks found"), ("slicks_true", "slicks present"),
             ("slicks_false", "false slicks"))


def render_report(metrics: Mapping[str, Any], figures: Mapping[str, bytes], title: str) -> str:
    """The report page for ``metrics`` (a metrics.json document) and its figures.

    Args:
        metrics: the evaluation's metrics document.
        figures: PNG bytes by file name (``cm_count.png``, ``pr_curves.png``, ...).
        title: page title (the run's name).
    """
    summary = metrics["summary"]
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="muted">source: {_fmt(metrics.get("source", {}).get("kind"))} '
             f'{_fmt(metrics.get("source", {}).get("path"))} · dataset '
             f'{_fmt(metrics.get("source", {}).get("dataset"))} · '
             f'{_fmt(metrics["counts"]["images"])} tiles</p>',
             '<div class="cards">']
    for key, label in _HEADLINE:
        if key in summary:
            parts.append(f'<div class="card"><span class="muted">{label}</span>'
                         f"<b>{_fmt(summary[key])}</b></div>")
    parts.append("</div>")
    pixel = metrics.get("pixel")
    if pixel:
        parts.append("<h2>Pixels</h2>")
        parts.append(f'<p class="muted">{_fmt(pixel["valid_pixels"])} valid pixels, '
                     f'{_fmt(pixel["nodata_pixels"])} nodata pixels (VV = 0) left out.</p>')
        rows = [[name, v["support"], v["predicted"], v["precision"], v["recall"], v["f1"],
                 v["iou"]] for name, v in pixel["per_class"].items()]
        parts.append(_table(["class", "true px", "predicted px", "precision", "recall", "F1",
                             "IoU"], rows))
        parts.append(_table(["accuracy", "macro F1", "oil macro F1", "mean IoU", "oil IoU"],
                            [[pixel["accuracy"], pixel["macro_f1"], pixel["macro_f1_oil"],
                              pixel["mean_iou"], pixel["oil_iou"]]]))
        parts.append('<div class="row">')
        for name, alt in (("cm_count.png", "pixel confusion matrix, counts"),
                          ("cm_normed_true.png", "pixel confusion matrix normalised by truth"),
                          ("cm_normed_pred.png", "pixel confusion matrix normalised by "
                                                 "prediction")):
            if name in figures:
                parts.append(_image(figures[name], alt))
        parts.append("</div>")
    instance = metrics.get("instance")
    if instance:
        parts.append("<h2>Instances</h2>")
        coco = instance["coco"]
        rows = [[kind, coco[kind]["ap"], coco[kind]["ap50"], coco[kind]["ap75"],
                 coco[kind]["ar"]] for kind in ("segm", "bbox")]
        parts.append(_table(["COCO", "AP", "AP50", "AP75", "AR"], rows))
        segm = coco["segm"]["per_class"]
        parts.append(_table(["class", "mask AP", "box AP"],
                            [[n, segm[n]["ap"], coco["bbox"]["per_class"][n]["ap"]]
                             for n in segm]))
        match = instance["matching"]
        parts.append(f'<p class="muted">matching: mask {match["metric"]} ≥ '
                     f'{match["threshold"]}, one-to-one, highest score first.</p>')
        rows = [[n, v["true"], v["predicted"], v["matched"], v["missed"], v["false"],
                 v["precision"], v["recall"], v["f1"]] for n, v in match["per_class"].items()]
        rows.append(["all", match["true"], match["predicted"], match["matched"],
                     match["missed"], match["false"], match["precision"], match["recall"],
                     match["f1"]])
        parts.append(_table(["class", "true", "predicted", "matched", "missed", "false",
                             "precision", "recall", "F1"], rows))
        if "cm_instances.png" in figures:
            parts.append(_image(figures["cm_instances.png"], "instance confusion matrix"))
    if "pr_curves.png" in figures:
        parts.append("<h2>Precision–recall</h2>")
        parts.append(_image(figures["pr_curves.png"], "precision-recall curves"))
    slick = metrics.get("slick")
    if slick:
        parts.append("<h2>Slicks (map coordinates)</h2>")
        parts.append(f'<p class="muted">matched at geodesic IoU ≥ {slick["iou_threshold"]}; '
                     "areas in km² on the WGS84 ellipsoid.</p>")
        rows = [[n, v["true"], v["predicted"], v["matched"], v["missed"], v["false"],
                 v["true_km2"], v["matched_km2"], v["false_km2"], v["f1"]]
                for n, v in [*slick["per_class"].items(), ("any class", slick["any"])]]
        parts.append(_table(["class", "true", "predicted", "matched", "missed", "false",
                             "true km²", "matched km²", "false km²", "F1"], rows))
    if "examples.png" in figures:
        parts.append("<h2>Best and worst tiles</h2>")
        parts.append(_image(figures["examples.png"], "best and worst tiles"))
    parts.append("<h2>Settings</h2>")
    settings = "\n".join(f"{k}: {v}" for k, v in metrics["settings"].items())
    parts.append(f"<pre>{html.escape(settings)}</pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


__all__ = ["render_report"]
