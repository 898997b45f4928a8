"""Turning scenes into tiles: the per-scene pipeline, auxiliary channels, GeoTIFF
writing, and resumable runs over many scenes into one output folder."""
