"""The figures of an evaluation: confusion matrices, PR curves, example tiles.

Everything is drawn with matplotlib's Agg backend into PNG bytes, so callers decide
where the bytes go (files in the output folder, data: URIs in the report).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from cerulean_eval.records import Example


def figure(width: float, height: float) -> Any:
    """A matplotlib figure (Agg, no pyplot state) of ``width`` × ``height`` inches."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=90)


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (no software tag, so equal figures give equal bytes)."""
    # Margins are set by each figure: a tight bounding box would draw everything twice.
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def confusion_png(matrix: Sequence[Sequence[float]], names: Sequence[str], title: str,
                  integer: bool, rows: str = "truth", cols: str = "prediction") -> bytes:
    """A labelled heat map of a K × K matrix (rows truth, columns prediction)."""
    data = np.asarray(matrix, dtype=float)
    k = len(names)
    width, height = 2.6 + 0.8 * k, 2.2 + 0.7 * k
    fig = figure(width, height)
    fig.subplots_adjust(left=1.9 / width, bottom=1.7 / height, right=1 - 0.2 / width,
                        top=1 - 0.45 / height)
    ax = fig.add_subplot()
    # Counts span orders of magnitude (background dwarfs every slick class): colour them
    # on a log scale so the small classes show; the cells print the true numbers.
    shown = np.log1p(data) / np.log1p(data.max()) if integer and data.max() > 0 else data
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if not integer else None)
    for i in range(k):
        for j in range(k):
            text = f"{int(data[i, j]):,}" if integer else f"{data[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)
    ax.set_title(title, fontsize=10)
    return png(fig)


def pr_png(segm: dict[str, Any] | None, sweep: dict[str, Any] | None) -> bytes:
    """Left: COCO mask precision–recall per class; right: the pixel threshold sweep."""
    fig = figure(11, 4.2)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.2)
    left, right = fig.subplots(1, 2)
    if segm is not None:
        recall = np.asarray(segm["recall"])
        for name, precision in zip(segm["classes"], segm["precision"], strict=True):
            values = np.asarray(precision, dtype=float)
            if (values > -1).any():
                left.plot(recall, np.where(values < 0, np.nan, values), label=name)
        left.set_title(f"instances: mask precision–recall at IoU {segm['iou']:.2f}",
                       fontsize=10)
        if left.get_legend_handles_labels()[0]:
            left.legend(fontsize=8)
    else:
        left.set_title("instances: no instance predictions", fontsize=10)
    if sweep is not None:
        right.plot(sweep["oil_recall"], sweep["oil_precision"], label="any oil, pixels")
        best = int(np.argmax(sweep["oil_f1"]))
        right.scatter([sweep["oil_recall"][best]], [sweep["oil_precision"][best]], color="red",
                      zorder=3, label=f"best F1 {sweep['oil_f1'][best]:.3f} at "
                                      f"{sweep['thresholds'][best]:.2f}")
        right.legend(fontsize=8)
        right.set_title("pixels: oil precision–recall over confidence thresholds",
                        fontsize=10)
    else:
        right.set_title("pixels: no confidences to sweep", fontsize=10)
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.grid(alpha=0.3)
    return png(fig)


def examples_png(best: Sequence[Example], worst: Sequence[Example],
                 names: Sequence[str]) -> bytes:
    """Rows of (image, truth, prediction): the best tiles, then the worst, by oil IoU."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    rows = [("best", e) for e in best] + [("worst", e) for e in worst]
    k = len(names)
    palette = ["#000000", "#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#e377c2",
               "#bcbd22", "#17becf", "#9467bd", "#8c564b"]
    cmap = ListedColormap([palette[i % len(palette)] for i in range(k)])
    height = 2.6 * max(len(rows), 1) + 0.7
    fig = figure(8, height)
    if not rows:
        fig.add_subplot().set_title("no tile holds oil in truth or prediction")
        return png(fig)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.3 / height, bottom=0.75 / height,
                        hspace=0.25, wspace=0.05)
    axes = np.atleast_2d(fig.subplots(len(rows), 3))
    for r, (kind, ex) in enumerate(rows):
        for c, (title, data) in enumerate((("image", ex.image), ("truth", ex.truth),
                                           ("prediction", ex.prediction))):
            ax = axes[r, c]
            if c == 0:
                ax.imshow(data, cmap="gray", vmin=0, vmax=255)
            else:
                ax.imshow(data, cmap=cmap, vmin=-0.5, vmax=k - 0.5, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{title} (oil IoU {ex.score:.2f})" if c == 2 else title, fontsize=8)
            if c == 0:
                ax.set_ylabel(f"{kind}\n{_short(ex.name)}", fontsize=7)
    fig.legend(handles=[Patch(color=cmap(i), label=n) for i, n in enumerate(names)],
               loc="lower center", ncol=min(k, 4), fontsize=8)
    return png(fig)


def _short(name: str) -> str:
    """A tile name short enough for a label: scene id prefix … tile index suffix."""
    return name if len(name) <= 28 else f"{name[:12]}…{name[-14:]}"


__all__ = ["confusion_png", "examples_png", "figure", "png", "pr_png"]
