"""Writing an evaluation folder: metrics.json, the figures and report.html.

The folder is staged and renamed into place when complete, so it is either there in
full or not at all::

    metrics.json         every number, with the settings and the source that made it
    cm_count.png         pixel confusion matrix, counts
    cm_normed_true.png   ... normalised by truth (rows sum to 1)
    cm_normed_pred.png   ... normalised by prediction (columns sum to 1)
    cm_instances.png     instance confusion matrix (index 0: missed / false)
    pr_curves.png        mask precision–recall per class; pixel threshold sweep
    examples.png         best and worst tiles: image, truth, prediction
    report.html          all of the above in one standalone page
"""

from __future__ import annotations

from pathlib import Path

from cerulean_eval.evaluate import EvalResult
from cerulean_eval.plots import confusion_png, examples_png, pr_png
from cerulean_eval.report import render_report
from cerulean_tiling import staged_folder, write_bytes, write_json, write_text

METRICS_JSON = "metrics.json"
REPORT_HTML = "report.html"


def figures(result: EvalResult) -> dict[str, bytes]:
    """Every figure of ``result`` as PNG bytes by file name."""
    metrics = result.metrics
    names = metrics["classes"]["names"]
    out: dict[str, bytes] = {}
    pixel = metrics.get("pixel")
    if pixel:
        confusion = pixel["confusion"]
        out["cm_count.png"] = confusion_png(confusion["counts"], names,
                                            "pixels: counts", True)
        out["cm_normed_true.png"] = confusion_png(confusion["normed_true"], names,
                                                  "pixels: normalised by truth", False)
        out["cm_normed_pred.png"] = confusion_png(confusion["normed_pred"], names,
                                                  "pixels: normalised by prediction", False)
        labels = ["none", *names[1:]]
        out["cm_instances.png"] = confusion_png(
            metrics["instance"]["matching"]["confusion"], labels,
            "instances: matches (none = missed / false)", True, "true instance",
            "predicted instance")
        out["pr_curves.png"] = pr_png(metrics["curves"].get("segm_pr"), pixel["sweep"])
        out["examples.png"] = examples_png(result.best, result.worst, names)
    return out


def write_outputs(result: EvalResult, output: Path, *, overwrite: bool = False,
                  title: str | None = None) -> Path:
    """Write the evaluation folder ``output`` (complete or absent).

    Raises:
        OutputError: ``output`` exists and not ``overwrite``, or cannot be written.
    """
    output = Path(output)
    pngs = figures(result)
    page = render_report(result.metrics, pngs, title or f"cerulean-eval: {output.name}")
    with staged_folder(output, overwrite=overwrite) as staged:
        write_json(staged / METRICS_JSON, result.metrics, indent=2, what="metrics")
        for name, png in pngs.items():
            write_bytes(staged / name, png, what=name)
        write_text(staged / REPORT_HTML, page, what="report")
    return output


__all__ = ["METRICS_JSON", "REPORT_HTML", "figures", "write_outputs"]
