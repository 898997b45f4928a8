"""``stats``: what a dataset holds — counts per class, per image, per scene, and shapes.

Shapes are the region properties (:mod:`cerulean_coco.describe.regionprops`) of every
annotation's decoded mask, kept as one row per instance for CSV export and histograms.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cerulean_coco.dataset import CocoDataset
from cerulean_coco.describe.regionprops import PROPERTY_NAMES, RegionProps, region_props
from cerulean_coco.format import rle
from cerulean_tiling.atomic import write_bytes


@dataclass(frozen=True)
class InstanceRow:
    """One instance's identity and shape."""

    annotation_id: int
    image_id: int
    scene_id: str
    category: str
    props: RegionProps


@dataclass
class DatasetStats:
    """Counts and shapes of a dataset.

    Attributes:
        instances_per_class: category name -> instance count (every category listed).
        images_with_instances, images_without_instances: image counts.
        per_scene: scene id -> {"images": n, "instances": n, <category>: n, ...}.
        rows: one :class:`InstanceRow` per annotation, in annotation id order.
    """

    instances_per_class: dict[str, int]
    images_with_instances: int
    images_without_instances: int
    per_scene: dict[str, dict[str, int]]
    rows: list[InstanceRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Counts as JSON-ready data (rows left out)."""
        return {
            "instances_per_class": self.instances_per_class,
            "images_with_instances": self.images_with_instances,
            "images_without_instances": self.images_without_instances,
            "per_scene": self.per_scene,
        }

    def summary(self) -> str:
        """Human-readable tables."""
        width = max([len(n) for n in self.instances_per_class] + [len("class")])
        lines = [f"{'class':<{width}}  instances"]
        lines += [f"{name:<{width}}  {count:>9}" for name, count in
                  self.instances_per_class.items()]
        lines += [
            "",
            f"images with instances:    {self.images_with_instances}",
            f"images without instances: {self.images_without_instances}",
            "",
            f"{'scene':<67}  images  instances",
        ]
        lines += [f"{scene:<67}  {c['images']:>6}  {c['instances']:>9}"
                  for scene, c in self.per_scene.items()]
        return "\n".join(lines)

    def write_csv(self, path: Path) -> None:
        """Write one row per instance (ids, scene, class, region properties)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["annotation_id", "image_id", "scene_id", "category", *PROPERTY_NAMES])
        for row in self.rows:
            values = [round(v, 6) if isinstance(v, float) else v for v in astuple(row.props)]
            writer.writerow([row.annotation_id, row.image_id, row.scene_id, row.category,
                             *values])
        write_bytes(Path(path), buffer.getvalue().encode("utf-8"))

    def property_values(self) -> dict[str, dict[str, list[float]]]:
        """Category -> property name -> values, for histograms."""
        values: dict[str, dict[str, list[float]]] = {
            name: {p: [] for p in PROPERTY_NAMES} for name in self.instances_per_class
        }
        for row in self.rows:
            for prop, value in zip(PROPERTY_NAMES, astuple(row.props), strict=True):
                values[row.category][prop].append(float(value))
        return values


def compute_stats(dataset: CocoDataset, *, shapes: bool = True,
                  progress: bool | None = False) -> DatasetStats:
    """Count a dataset's instances and, with ``shapes``, measure every mask."""
    names = dataset.document.category_names()
    images = {im.id: im for im in dataset.images}
    per_class: Counter[str] = Counter({name: 0 for name in names.values()})
    per_scene: dict[str, dict[str, int]] = defaultdict(lambda: {"images": 0, "instances": 0})
    for image in dataset.images:
        per_scene[image.scene_id]["images"] += 1
    rows: list[InstanceRow] = []
    annotated: set[int] = set()
    disable = None if progress is None else not progress
    for ann in tqdm(dataset.annotations, unit="instance", desc="stats", disable=disable):
        name = names.get(ann.category_id, str(ann.category_id))
        scene = images[ann.image_id].scene_id
        per_class[name] += 1
        per_scene[scene]["instances"] += 1
        per_scene[scene][name] = per_scene[scene].get(name, 0) + 1
        annotated.add(ann.image_id)
        if shapes:
            props = region_props(rle.decode(ann.segmentation))
            rows.append(InstanceRow(ann.id, ann.image_id, scene, name, props))
    ordered_classes = {names[i]: per_class[names[i]] for i in sorted(names)}
    ordered_classes.update({k: v for k, v in per_class.items() if k not in ordered_classes})
    return DatasetStats(
        instances_per_class=ordered_classes,
        images_with_instances=len(annotated),
        images_without_instances=len(images) - len(annotated),
        per_scene={k: per_scene[k] for k in sorted(per_scene)},
        rows=sorted(rows, key=lambda r: r.annotation_id),
    )


__all__ = ["DatasetStats", "InstanceRow", "compute_stats"]
