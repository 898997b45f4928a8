"""Names of the files and folders in a dataset folder (described in docs/formats.md)."""

from __future__ import annotations

ANNOTATIONS_NAME = "annotations.json"
"""The COCO document."""
MANIFEST_NAME = "manifest.json"
"""Build parameters, versions, per-scene status and hashes, negatives, history."""
TILES_DIR = "tiles"
"""One GeoTIFF per image (and per recorded negative)."""
PARTS_DIR = "parts"
"""One committed scene per JSON file: what a resumed build trusts."""
STAGING_DIR = ".staging"
"""Per-run scratch space of a build's workers."""
LOCK_NAME = ".lock"
"""Held by the process building the dataset."""

__all__ = ["ANNOTATIONS_NAME", "LOCK_NAME", "MANIFEST_NAME", "PARTS_DIR", "STAGING_DIR",
           "TILES_DIR"]
