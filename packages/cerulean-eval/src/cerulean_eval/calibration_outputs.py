"""Writing a calibration folder: every setting's numbers, a plot, a table, the row.

The folder is staged and appears complete or not at all::

    calibration.json           how, on what data (dataset, annotations hash, scenes), every
                               setting's numbers and per-scene statistics, and the best
    calibration.png            instance F1 over the grid; slick precision against recall
    calibration.md             the table (also printed by ``cerulean-eval calibrate``)
    cerulean-cloud-model.json  the model's serving row with the best thresholds;
                               ``pixel_f1`` and ``instance_f1`` null: they are measured on
                               test data by ``cerulean-eval run``, never taken from the
                               validation data the thresholds were chosen on

A later ``cerulean-eval run --model-row <folder>/cerulean-cloud-model.json`` finds
``calibration.json`` beside the row, and its model card names the data the thresholds were
calibrated on (:func:`calibration_provenance`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from cerulean_eval.calibrate import Calibration
from cerulean_eval.compare import format_table
from cerulean_eval.plots import figure, png
from cerulean_infer import ModelDescription, ServingRow
from cerulean_tiling.atomic import staged_folder, write_bytes, write_json, write_text

log = logging.getLogger(__name__)

CALIBRATION_JSON = "calibration.json"
CALIBRATION_PNG = "calibration.png"
CALIBRATION_MD = "calibration.md"
CALIBRATED_ROW = "cerulean-cloud-model.json"

_COLUMNS = ("instance_f1", "pixel_f1", "slick_precision", "slick_recall", "slicks_predicted",
            "slicks_found", "slicks_false")


def calibration_rows(calibration: Calibration) -> list[list[str]]:
    """The table (header first): each setting's thresholds, numbers and mark."""
    keys = calibration.grid.keys
    rows = [[*keys, *_COLUMNS, ""]]
    for i, score in enumerate(calibration.scores):
        summary = score.summary(calibration.names).to_json()
        mark = " ".join(m for m, on in (("best", i == calibration.best),
                                        ("current", score.current)) if on)
        rows.append([*(f"{score.thresholds[k]:g}" for k in keys),
                     *(f"{summary[c]:.4f}" if isinstance(summary[c], float)
                       else str(summary[c]) for c in _COLUMNS), mark])
    return rows


def calibration_markdown(calibration: Calibration) -> str:
    """calibration.md: what was swept on which data, the best setting, the table."""
    rows = calibration_rows(calibration)
    data = calibration.data
    best = calibration.scores[calibration.best]
    lines = [f"# Calibration: {calibration.source.model}", "",
             f"Measured on `{data.dataset}` (annotations sha256 "
             f"`{data.annotations_sha256[:16]}…`), {data.tiles} tiles of {len(data.scenes)} "
             f"scene(s), through the served post-processing ({calibration.preset.name}, merge "
             f"{calibration.merge}), slicks matched at Dice {calibration.config.match_dice}.",
             "", "Best by instance F1 (ties: pixel F1, then nearest the current setting): "
             + ", ".join(f"`{k}` {v:g}" for k, v in best.thresholds.items()) + ".", "",
             "| " + " | ".join(rows[0][:-1]) + " | |",
             "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines) + "\n"


def calibration_table(calibration: Calibration) -> str:
    """The table aligned for a terminal."""
    return format_table(calibration_rows(calibration))


def calibration_png(calibration: Calibration) -> bytes:
    """Left: instance F1 over the grid; right: slick precision against recall per setting."""
    names = calibration.names
    keys = calibration.grid.keys
    scores = calibration.scores
    summaries = [s.summary(names) for s in scores]
    fig = figure(11, 4.6)
    fig.subplots_adjust(left=0.08, right=0.97, bottom=0.13, top=0.9, wspace=0.3)
    left, right = fig.subplots(1, 2)
    on_grid = [i for i, s in enumerate(scores) if s.on_grid]
    if len(keys) == 2:
        xs, ys = calibration.grid.values[keys[0]], calibration.grid.values[keys[1]]
        f1 = np.full((len(ys), len(xs)), np.nan)
        for i in on_grid:
            t = scores[i].thresholds
            f1[ys.index(t[keys[1]]), xs.index(t[keys[0]])] = summaries[i].instance_f1
        image = left.imshow(f1, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
        fig.colorbar(image, ax=left, label="instance F1")
        for r in range(len(ys)):
            for c in range(len(xs)):
                if not np.isnan(f1[r, c]):
                    left.text(c, r, f"{f1[r, c]:.2f}", ha="center", va="center", fontsize=7,
                              color="white" if f1[r, c] < 0.5 else "black")
        left.set_xticks(range(len(xs)), [f"{v:g}" for v in xs], fontsize=8)
        left.set_yticks(range(len(ys)), [f"{v:g}" for v in ys], fontsize=8)
        left.set_xlabel(keys[0])
        left.set_ylabel(keys[1])
        best = scores[calibration.best].thresholds
        if scores[calibration.best].on_grid:
            left.scatter([xs.index(best[keys[0]])], [ys.index(best[keys[1]])], s=260,
                         facecolors="none", edgecolors="red", linewidths=2)
    else:
        xs = calibration.grid.values[keys[0]]
        for metric in ("instance_f1", "slick_precision", "slick_recall", "pixel_f1"):
            left.plot(xs, [getattr(summaries[i], metric) for i in on_grid], marker="o",
                      label=metric)
        left.axvline(scores[calibration.best].thresholds[keys[0]], color="red", alpha=0.5,
                     label="best")
        left.set_xlabel(keys[0])
        left.set_ylim(0, 1.02)
        left.legend(fontsize=8)
    left.set_title("instance F1 of the served slicks per setting (red: best)", fontsize=10)
    right.scatter([s.slick_recall for s in summaries], [s.slick_precision for s in summaries],
                  c=[s.instance_f1 for s in summaries], cmap="viridis", vmin=0, vmax=1, s=25)
    for i, label, marker in ((calibration.best, "best", "*"),
                             (next(i for i, s in enumerate(scores) if s.current), "current",
                              "s")):
        right.scatter([summaries[i].slick_recall], [summaries[i].slick_precision], s=160,
                      marker=marker, facecolors="none", edgecolors="red", label=label)
    right.set_xlim(-0.02, 1.02)
    right.set_ylim(-0.02, 1.02)
    right.set_xlabel("slick recall")
    right.set_ylabel("slick precision")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    right.set_title("slicks: precision against recall, one point per setting", fontsize=10)
    return png(fig)


def calibrated_row(model: ModelDescription, calibration: Calibration) -> ServingRow:
    """The model's serving row with the best setting's thresholds and no measured numbers.

    Only the swept thresholds change; ``pixel_f1`` and ``instance_f1`` are null, because
    a row carries numbers measured on named test data, and these thresholds were chosen
    on the calibration's data.
    """
    base = model.row if model.row is not None else ServingRow.from_manifest(
        model.manifest, calibration.preset)
    best = calibration.scores[calibration.best].thresholds
    return replace(base, thresholds={**base.thresholds, **best}, pixel_f1=None,
                   instance_f1=None)


def write_calibration(calibration: Calibration, model: ModelDescription, output: Path, *,
                      overwrite: bool = False) -> Path:
    """Write the calibration folder ``output`` (complete or absent).

    Raises:
        OutputError: ``output`` exists and not ``overwrite``, or cannot be written.
    """
    doc = calibration.to_json()
    plot = calibration_png(calibration)
    row = calibrated_row(model, calibration).to_json()
    with staged_folder(Path(output), overwrite=overwrite) as staged:
        write_json(staged / CALIBRATION_JSON, doc, indent=2, what="calibration")
        write_bytes(staged / CALIBRATION_PNG, plot, what="calibration plot")
        write_text(staged / CALIBRATION_MD, calibration_markdown(calibration),
                   what="calibration table")
        write_json(staged / CALIBRATED_ROW, row, indent=2, what="calibrated row")
    return Path(output)


def calibration_provenance(row_path: Path | None,
                           thresholds: dict[str, float]) -> dict[str, Any] | None:
    """Where a row's thresholds were calibrated, when ``calibration.json`` lies beside it.

    Args:
        row_path: the serving row an evaluation ran with.
        thresholds: the thresholds the evaluation post-processed with.

    Returns:
        The calibration's data (dataset, annotations hash, scenes), its best thresholds,
        and whether the evaluation used them; None when no calibration lies beside the
        row or it cannot be read.
    """
    if row_path is None:
        return None
    path = Path(row_path).parent / CALIBRATION_JSON
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        best, data = doc["best"]["thresholds"], doc["data"]
        return {"file": str(path), "dataset": data["dataset"],
                "annotations_sha256": data["annotations_sha256"],
                "scenes": sorted(data["scenes"]), "tiles": data["tiles"],
                "thresholds": best,
                "used": all(thresholds.get(k) == v for k, v in best.items())}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        log.warning("%s: unreadable calibration beside the row (%s); the card cannot say "
                    "where the thresholds were calibrated", path, exc)
        return None


__all__ = ["CALIBRATED_ROW", "CALIBRATION_JSON", "CALIBRATION_MD", "CALIBRATION_PNG",
           "calibrated_row", "calibration_markdown", "calibration_png",
           "calibration_provenance", "calibration_rows", "calibration_table",
           "write_calibration"]
