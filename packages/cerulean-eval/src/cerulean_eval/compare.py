"""Comparing evaluation folders side by side.

Each folder's ``metrics.json`` summary is read; one row per metric, one column per
run, and the best value of each row is marked with ``*`` (higher is better except for
the counts of missed and false slicks; the counts of true and served slicks are not
ranked). Per-class pixel F1 appears as ``pixel_f1_per_class.<class>`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cerulean_eval.errors import RunReadError
from cerulean_tiling.jsonio import read_json_object

LOWER_IS_BETTER = frozenset({"slicks_missed", "slicks_false"})
NOT_RANKED = frozenset({"slicks_true", "slicks_predicted"})


def read_metrics(folder: Path) -> dict[str, Any]:
    """An evaluation folder's metrics.json.

    Raises:
        RunReadError: no readable metrics.json (a JSON object with a summary) in ``folder``.
    """
    path = Path(folder) / "metrics.json"
    doc = read_json_object(path, "evaluation metrics file", error=RunReadError)
    if not isinstance(doc.get("summary"), dict):
        raise RunReadError(f"{path}: evaluation metrics file has no 'summary' object")
    return doc


def read_summary(folder: Path) -> dict[str, float | None]:
    """The flattened numeric summary of an evaluation folder.

    Raises:
        RunReadError: no readable metrics.json with a summary in ``folder``.
    """
    summary = read_metrics(folder)["summary"]
    flat: dict[str, float | None] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v if isinstance(v, int | float) else None
        elif value is None or isinstance(value, int | float):
            flat[key] = value
    return flat


def compare_table(folders: Sequence[Path]) -> list[list[str]]:
    """Rows of the comparison (header first); the best value per row ends with ``*``."""
    summaries = [read_summary(f) for f in folders]
    keys: list[str] = []
    for summary in summaries:
        keys.extend(k for k in summary if k not in keys)
    rows = [["metric", *(Path(f).name or str(f) for f in folders)]]
    for key in keys:
        values = [s.get(key) for s in summaries]
        present = [v for v in values if v is not None]
        best: Any = None
        if key not in NOT_RANKED and len(present) > 1 and len(set(present)) > 1:
            best = min(present) if key in LOWER_IS_BETTER else max(present)
        rows.append([key, *(_cell(v, best) for v in values)])
    return rows


def _cell(value: float | None, best: Any) -> str:
    if value is None:
        return "–"
    text = f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
    return text + ("*" if best is not None and value == best else "")


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Align the rows in columns."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                      strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


__all__ = ["compare_table", "format_table", "read_metrics", "read_summary"]
