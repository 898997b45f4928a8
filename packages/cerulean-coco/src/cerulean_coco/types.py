"""Shared type aliases."""

from __future__ import annotations

from typing import TypedDict

Bbox = tuple[float, float, float, float]
"""COCO box: x (column), y (row) of the top-left corner, width, height, in pixels."""

Bounds = tuple[float, float, float, float]
"""west, south, east, north in EPSG:4326 degrees."""


class RLE(TypedDict):
    """A COCO compressed run-length encoding: ``size`` is [height, width]."""

    size: list[int]
    counts: str


__all__ = ["RLE", "Bbox", "Bounds"]
