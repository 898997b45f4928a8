"""cerulean-tiling: georeferenced tiles and instance masks from annotated S1 scenes."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
