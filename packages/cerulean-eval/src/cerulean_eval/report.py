"""The standalone HTML report: one file, images inlined, no request leaves it.

The page holds the headline numbers with their intervals, the measured serving row, slick
counts, the served pixels per class, per-scene counts, the scenes on the map, the best and
worst tiles, the raw tile diagnostic (COCO AP, tile instances), the settings, and every figure as a
``data:image/png;base64`` URI, with its styles inline, so it opens from disk, by mail or
from a bucket, offline.
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
.card b{display:block;font-size:1.4em}.card span{display:block}.muted{color:#666;font-size:0.85em}
pre{background:#f6f6f6;padding:0.8em;overflow:auto;font-size:0.8em}
"""

_HEADLINE = (("pixel_f1", "pixel F1 (oil classes)"), ("instance_f1", "instance F1 (slicks)"),
             ("pixel_macro_f1", "pixel macro F1"), ("oil_iou", "oil IoU"),
             ("slick_precision", "slick precision"), ("slick_recall", "slick recall"),
             ("slicks_found", "slicks found"), ("slicks_true", "true slicks"),
             ("slicks_false", "false slicks"), ("slicks_predicted", "slicks served"))


def _interval(intervals: Mapping[str, Any] | None, key: str) -> str:
    if not intervals or key not in intervals:
        return ""
    low, high = intervals[key]
    return f'<span class="muted">95%: {low:.3f}–{high:.3f}</span>'


def render_report(metrics: Mapping[str, Any], figures: Mapping[str, bytes], title: str,
                  row: Mapping[str, Any] | None = None,
                  maps: Mapping[str, bytes] | None = None) -> str:
    """The report page for ``metrics`` (a metrics.json document) and its figures.

    Args:
        metrics: the evaluation's metrics document.
        figures: PNG bytes by file name (``cm_count.png``, ``pr_curves.png``, ...).
        title: page title (the run's name).
        row: the measured serving row, for model runs.
        maps: the drawn scenes' maps, PNG bytes by scene id.
    """
    summary, intervals = metrics["summary"], metrics.get("intervals")
    source, data = metrics["source"], metrics["data"]
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="muted">{_fmt(source["kind"])} {_fmt(source["path"])} · dataset '
             f'{_fmt(data["dataset"])} · {_fmt(data["tiles"])} tiles of '
             f'{_fmt(len(data["scenes"]))} scenes</p>', '<div class="cards">']
    for key, label in _HEADLINE:
        if key in summary:
            parts.append(f'<div class="card"><span class="muted">{label}</span>'
                         f"<b>{_fmt(summary[key])}</b>{_interval(intervals, key)}</div>")
    parts.append("</div>")
    post = metrics.get("postprocess")
    served = (f"post-processed by cerulean-infer with {html.escape(post['preset'])}, merge "
              f"{html.escape(post['merge'])}, one tileset per scene (the dataset's tiles)"
              if post else "slicks scored as given")
    parts.append(f'<p class="muted">Every number above is measured on the served slicks '
                 f'({served}); slicks match one-to-one per scene, same class, geodesic '
                 f'Dice ≥ {metrics["slicks"]["match"]["groundtruth_dice_thresh"]}. '
                 + (f"Intervals: {intervals['method']}, {intervals['resamples']} resamples "
                    f"of {intervals['scenes']} scenes." if intervals else "") + "</p>")
    if row is not None:
        parts.append("<h2>Serving row (measured)</h2>")
        parts.append(_table(["name", "type", "pixel_f1", "instance_f1", "thresholds"],
                            [[row.get("name"), row.get("type"), row.get("pixel_f1"),
                              row.get("instance_f1"),
                              ", ".join(f"{k}={v}" for k, v in row["thresholds"].items())]]))
    slicks = metrics["slicks"]
    parts.append("<h2>Slicks</h2>")
    parts.append('<p class="muted">Counts are features of slicks.geojson; areas in km² on '
                 "the WGS84 ellipsoid.</p>")
    rows = [[n, v["true"], v["predicted"], v["found"], v["missed"], v["false"], v["true_km2"],
             v["found_km2"], v["predicted_km2"]] for n, v in slicks["per_class"].items()]
    rows.append(["all", summary["slicks_true"], summary["slicks_predicted"],
                 summary["slicks_found"], summary["slicks_missed"], summary["slicks_false"],
                 slicks["true_km2"], slicks["found_km2"], slicks["predicted_km2"]])
    parts.append(_table(["class", "true", "served", "found", "missed", "false", "true km²",
                         "found km²", "served km²"], rows))
    parts.append(_reclassified(metrics.get("reclassified") or {}))
    pixel = metrics["pixel"]
    parts.append("<h2>Pixels</h2>")
    parts.append(f'<p class="muted">The served slicks painted onto the tiles: '
                 f'{_fmt(pixel["valid_pixels"])} valid pixels, {_fmt(pixel["nodata_pixels"])} '
                 "nodata pixels (VV = 0) left out.</p>")
    parts.append(_pixel_table(pixel))
    parts.append('<div class="row">')
    for name, alt in (("cm_count.png", "pixel confusion matrix, counts"),
                      ("cm_normed_true.png", "pixel confusion matrix normalised by truth"),
                      ("cm_normed_pred.png", "pixel confusion matrix normalised by "
                                             "prediction")):
        if name in figures:
            parts.append(_image(figures[name], alt))
    parts.append("</div>")
    scenes = metrics.get("scenes") or []
    if scenes:
        parts.append("<h2>Scenes</h2>")
        parts.append(_table(["scene", "tiles", "true", "served", "found"],
                            [[s["scene_id"], s["tiles"], sum(s["slicks"]["true"]),
                              sum(s["slicks"]["predicted"]), sum(s["slicks"]["matched"])]
                             for s in scenes]))
    if maps:
        parts.append(_maps(maps, len(scenes)))
    if "examples.png" in figures:
        parts.append("<h2>Best and worst tiles</h2>")
        parts.append(_image(figures["examples.png"], "best and worst tiles"))
    diagnostic = (metrics.get("diagnostic") or {}).get("tiles")
    if diagnostic:
        parts.append(_diagnostic(diagnostic, figures))
    parts.append("<h2>Settings</h2>")
    settings = "\n".join(f"{k}: {v}" for k, v in metrics["settings"].items())
    if post:
        settings += "\n" + "\n".join(f"{k}: {v}" for k, v in post["thresholds"].items())
    parts.append(f"<pre>{html.escape(settings)}</pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _reclassified(doc: Mapping[str, Any]) -> str:
    """What the service stores as not oil, and from which masks."""
    counts = doc.get("slicks") or {}
    sources = [f"{name} {html.escape(str(doc[key]))}" for key, name in
               (("land", "land"), ("sea_ice", "sea ice")) if doc.get(key)]
    if not sum(counts.values()) and not sources:
        return ""
    stored = ", ".join(f"{_fmt(n)} {html.escape(c)}" for c, n in counts.items())
    return (f'<p class="muted">Not counted: served slicks the service stores as not oil '
            f"({stored}); they are in slicks.geojson with matched null"
            + (f" (from {'; '.join(sources)})" if sources else " (their stored_class)")
            + ".</p>")


def _maps(maps: Mapping[str, bytes], scenes: int) -> str:
    """The scenes on the map, saying which were drawn when not all were."""
    drawn = ", ".join(html.escape(scene_id) for scene_id in maps)
    which = (f"all {scenes} scenes" if len(maps) == scenes else
             f"{len(maps)} of {scenes} scenes, those with the most true and served slicks: "
             f"{drawn}")
    parts = ["<h2>Slicks on the map</h2>",
             f'<p class="muted">Each scene\'s tiles (VV) on the model grid with its true '
             f"slicks (thick: found or missed) and served slicks (thin: matched or false) "
             f"as the scorer matched them; {which}.</p>"]
    parts += [_image(png, f"map of {scene_id}") for scene_id, png in maps.items()]
    return "\n".join(parts)


def _pixel_table(pixel: Mapping[str, Any]) -> str:
    rows = [[name, v["support"], v["predicted"], v["precision"], v["recall"], v["f1"],
             v["iou"]] for name, v in pixel["per_class"].items()]
    return (_table(["class", "true px", "predicted px", "precision", "recall", "F1", "IoU"],
                   rows)
            + _table(["accuracy", "macro F1", "oil macro F1", "mean IoU", "oil IoU"],
                     [[pixel["accuracy"], pixel["macro_f1"], pixel["macro_f1_oil"],
                       pixel["mean_iou"], pixel["oil_iou"]]]))


def _diagnostic(tiles: Mapping[str, Any], figures: Mapping[str, bytes]) -> str:
    parts = ["<h2>Diagnostic: raw tile outputs</h2>",
             f'<p class="muted">Not what is served: {html.escape(tiles["what"])}.</p>',
             _pixel_table(tiles["pixel"])]
    coco = tiles["instance"]["coco"]
    parts.append(_table(["COCO", "AP", "AP50", "AP75", "AR"],
                        [[kind, coco[kind]["ap"], coco[kind]["ap50"], coco[kind]["ap75"],
                          coco[kind]["ar"]] for kind in ("segm", "bbox")]))
    match = tiles["instance"]["matching"]
    parts.append(f'<p class="muted">tile instances: mask {match["metric"]} ≥ '
                 f'{match["threshold"]}, one-to-one per tile, highest score first.</p>')
    rows = [[n, v["true"], v["predicted"], v["matched"], v["missed"], v["false"], v["f1"]]
            for n, v in match["per_class"].items()]
    rows.append(["all", match["true"], match["predicted"], match["matched"], match["missed"],
                 match["false"], match["f1"]])
    parts.append(_table(["class", "true", "predicted", "matched", "missed", "false", "F1"],
                        rows))
    for name, alt in (("cm_instances.png", "raw tile instance confusion matrix"),
                      ("pr_curves.png", "raw precision-recall curves")):
        if name in figures:
            parts.append(_image(figures[name], alt))
    return "\n".join(parts)


__all__ = ["render_report"]
