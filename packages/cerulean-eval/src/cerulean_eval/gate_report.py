"""Writing the gate's folder: the verdict, both models side by side, per class and scene.

The folder is staged and appears complete or not at all::

    gate.json     the verdict (and its line as printed), each gated metric (both values,
                  the difference, its one-sided bound and interval, the margin), the
                  resamples and seed, both sides' sources, the data, and the side-by-side
                  tables below
    gate.md       the same for people: verdict, metrics, per class, per scene
    gate.html     gate.md as a standalone page
    candidate/    the candidate's evaluation folder, when the gate scored a model
    baseline/     the baseline's, likewise

Per class: each model's pixel F1 and slick counts (true, found, false). Per scene: each
model's pixel and instance F1 and slicks, and the differences — every number computed by
:func:`~cerulean_eval.metrics.summarise` from that scene's statistics alone, so a scene
that decides the verdict can be found.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from cerulean_eval.gate import Verdict
from cerulean_eval.gate_inputs import Side
from cerulean_eval.metrics.scenes import SceneStats, Totals, summarise
from cerulean_eval.outputs import write_outputs
from cerulean_eval.report import _STYLE, _table
from cerulean_tiling.atomic import staged_folder, write_json, write_text

GATE_JSON = "gate.json"
GATE_MD = "gate.md"
GATE_HTML = "gate.html"


def _scene_numbers(names: tuple[str, ...], stats: SceneStats) -> dict[str, Any]:
    s = summarise(names, Totals.of([stats]))
    return {"pixel_f1": round(s.pixel_f1, 6), "instance_f1": round(s.instance_f1, 6),
            "slicks_true": s.slicks_true, "slicks_found": s.slicks_found,
            "slicks_false": s.slicks_false}


def _class_numbers(names: tuple[str, ...], side: Side) -> dict[str, dict[str, Any]]:
    totals = Totals.of(side.scenes)
    per_class = summarise(names, totals).pixel_f1_per_class
    return {name: {"pixel_f1": per_class[name], "slicks_true": int(totals.slicks_true[i]),
                   "slicks_found": int(totals.slicks_matched[i]),
                   "slicks_false": int(totals.slicks_predicted[i] - totals.slicks_matched[i])}
            for i, name in enumerate(names) if i > 0}


def gate_document(verdict: Verdict, candidate: Side, baseline: Side) -> dict[str, Any]:
    """gate.json (see the module docstring)."""
    names = candidate.names

    def side(s: Side) -> dict[str, Any]:
        return {"label": s.label, "source": s.metrics.get("source"),
                "postprocess": s.metrics.get("postprocess"),
                "folder": s.role if s.result is not None else s.label}

    scenes = []
    for c, b in zip(candidate.scenes, baseline.scenes, strict=True):
        cn, bn = _scene_numbers(names, c), _scene_numbers(names, b)
        scenes.append({"scene_id": c.scene_id, "tiles": c.tiles, "candidate": cn,
                       "baseline": bn,
                       "difference": {k: round(cn[k] - bn[k], 6)
                                      for k in ("pixel_f1", "instance_f1")}})
    c_class, b_class = _class_numbers(names, candidate), _class_numbers(names, baseline)
    return {"format_version": 1, **verdict.to_json(),
            "line": verdict.line(candidate.label, baseline.label),
            "candidate": side(candidate), "baseline": side(baseline),
            "data": candidate.metrics["data"], "classes": list(names),
            "match_dice": candidate.metrics["settings"]["match_dice"],
            "per_class": {n: {"candidate": c_class[n], "baseline": b_class[n]}
                          for n in c_class},
            "per_scene": scenes}


def _num(value: Any, signed: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:+.4f}" if signed else f"{value:.4f}"
    return str(value)


def gate_tables(doc: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables: (title, header, rows) for metrics, classes and scenes."""
    margin = doc["settings"]["margin"]
    level = f"{1 - doc['settings']['alpha']:.0%}"
    metrics = [[m["metric"], _num(m["candidate"]), _num(m["baseline"]),
                _num(m["difference"], True), _num(m["lower_bound"], True),
                f"{_num(m['interval'][0], True)} … {_num(m['interval'][1], True)}",
                f"{m['worse_share']:.3f}", "pass" if m["passed"] else "fail"]
               for m in doc["metrics"].values()]
    classes = []
    for name, both in doc["per_class"].items():
        c, b = both["candidate"], both["baseline"]
        classes.append([name, _num(c["pixel_f1"]), _num(b["pixel_f1"]),
                        f"{c['slicks_found']}/{c['slicks_true']}",
                        f"{b['slicks_found']}/{b['slicks_true']}",
                        str(c["slicks_false"]), str(b["slicks_false"])])
    scenes = [[s["scene_id"], str(s["tiles"]), _num(s["candidate"]["pixel_f1"]),
               _num(s["baseline"]["pixel_f1"]), _num(s["difference"]["pixel_f1"], True),
               _num(s["candidate"]["instance_f1"]), _num(s["baseline"]["instance_f1"]),
               _num(s["difference"]["instance_f1"], True),
               f"{s['candidate']['slicks_found']}/{s['candidate']['slicks_true']} "
               f"({s['candidate']['slicks_false']} false)",
               f"{s['baseline']['slicks_found']}/{s['baseline']['slicks_true']} "
               f"({s['baseline']['slicks_false']} false)"]
              for s in sorted(doc["per_scene"],
                              key=lambda s: (s["difference"]["instance_f1"], s["scene_id"]))]
    return [
        (f"Gated metrics (margin {margin:g}, one-sided {level} bound)",
         ["metric", "candidate", "baseline", "difference", "lower bound",
          f"{1 - 2 * doc['settings']['alpha']:.0%} interval", "worse share", "verdict"],
         metrics),
        ("Per class (pixel F1; slicks found/true; false slicks)",
         ["class", "pixel F1 cand.", "pixel F1 base.", "found cand.", "found base.",
          "false cand.", "false base."], classes),
        ("Per scene (worst for the candidate first)",
         ["scene", "tiles", "pixel F1 cand.", "pixel F1 base.", "Δ pixel F1",
          "instance F1 cand.", "instance F1 base.", "Δ instance F1", "slicks cand.",
          "slicks base."], scenes),
    ]


def _intro(doc: dict[str, Any]) -> list[str]:
    data = doc["data"]
    return [f"**{doc['verdict'].upper()}**: {doc['reason']}.",
            f"Candidate: {doc['candidate']['label']}. Baseline: {doc['baseline']['label']}.",
            f"Both scored on `{data['dataset']}` (annotations sha256 "
            f"`{data['annotations_sha256'][:16]}…`), {doc['scenes']} scene(s), slicks matched "
            f"at Dice {doc['match_dice']}; paired bootstrap over scenes, "
            f"{doc['settings']['resamples']} resamples, seed {doc['settings']['seed']}."]


def gate_markdown(doc: dict[str, Any]) -> str:
    """gate.md."""
    lines = ["# Promotion gate", ""]
    for paragraph in _intro(doc):
        lines += [paragraph, ""]
    for title, header, rows in gate_tables(doc):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows), ""]
    return "\n".join(lines)


def gate_html(doc: dict[str, Any]) -> str:
    """gate.html: gate.md as a standalone page (the evaluation report's styles)."""
    verdict = doc["verdict"]
    colour = "#1a7f37" if verdict == "pass" else "#cf222e"
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>Promotion gate: {verdict}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Promotion gate: <span style='color:{colour}'>{verdict.upper()}</span></h1>"]
    parts += [f"<p>{html.escape(p.replace('**', ''))}</p>" for p in _intro(doc)]
    for title, header, rows in gate_tables(doc):
        parts += [f"<h2>{html.escape(title)}</h2>", _table(header, rows)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_gate(verdict: Verdict, candidate: Side, baseline: Side, output: Path, *,
               overwrite: bool = False) -> dict[str, Any]:
    """Write the gate's folder ``output`` (complete or absent); returns gate.json's data.

    Raises:
        OutputError: ``output`` exists and not ``overwrite``, or cannot be written.
    """
    doc = gate_document(verdict, candidate, baseline)
    with staged_folder(Path(output), overwrite=overwrite) as staged:
        for side in (candidate, baseline):
            if side.result is not None:
                write_outputs(side.result, staged / side.role,
                              title=f"{side.role}: {side.label}")
        write_json(staged / GATE_JSON, doc, indent=2, what="gate verdict")
        write_text(staged / GATE_MD, gate_markdown(doc), what="gate report")
        write_text(staged / GATE_HTML, gate_html(doc), what="gate report")
    return doc


__all__ = ["GATE_HTML", "GATE_JSON", "GATE_MD", "gate_document", "gate_html",
           "gate_markdown", "gate_tables", "write_gate"]
