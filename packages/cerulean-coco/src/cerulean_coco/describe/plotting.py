"""Histograms of instance shapes per class (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from cerulean_coco.describe.regionprops import PROPERTY_NAMES
from cerulean_coco.describe.stats import DatasetStats
from cerulean_coco.errors import MissingExtraError
from cerulean_tiling.atomic import write_bytes

_BINS = 30
_UNITS = {"eccentricity": "0 = circle, 1 = line", "orientation": "radians from the row axis"}


def require_matplotlib() -> None:
    """Fail early, before any work, when the ``plot`` extra is missing.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError(
            'stats --plot needs matplotlib: pip install "cerulean-coco[plot]"'
        ) from None
    matplotlib.use("Agg")


def plot_histograms(stats: DatasetStats, path: Path) -> None:
    """Write a PNG with one panel per region property, one histogram per class.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    require_matplotlib()
    import matplotlib.pyplot as plt
    values = stats.property_values()
    classes = [name for name, count in stats.instances_per_class.items() if count]
    columns = 3
    rows = math.ceil(len(PROPERTY_NAMES) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows))
    for axis, prop in zip(axes.flat, PROPERTY_NAMES, strict=False):
        # One set of bin edges per property, so the classes' histograms compare.
        everything = [v for name in classes for v in values[name][prop]]
        edges = np.histogram_bin_edges(everything, bins=_BINS) if everything else _BINS
        for name in classes:
            axis.hist(values[name][prop], bins=edges, histtype="step", linewidth=1.5,
                      label=f"{name} ({len(values[name][prop])})")
        axis.set_title(prop.replace("_", " "))
        axis.set_ylabel("instances")
        axis.set_xlabel(_UNITS.get(prop, "pixels"))
    for axis in list(axes.flat)[len(PROPERTY_NAMES):]:
        axis.set_visible(False)
    if classes:
        axes.flat[0].legend(fontsize="small")
    figure.suptitle("Instance shapes per class")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    write_bytes(Path(path), buffer.getvalue())


__all__ = ["plot_histograms", "require_matplotlib"]
