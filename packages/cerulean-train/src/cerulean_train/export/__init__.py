"""Model bundles from finished runs (``cerulean-train export``)."""

from __future__ import annotations

from cerulean_train.export.bundle import (
    BUNDLE_SUFFIX,
    ExportResult,
    ModelExport,
    build_manifest,
    export_bundle,
)

__all__ = ["BUNDLE_SUFFIX", "ExportResult", "ModelExport", "build_manifest", "export_bundle"]
