"""Model bundles from finished runs (``cerulean-train export``)."""

from __future__ import annotations

from cerulean_train.export.bundle import (
    BUNDLE_SUFFIX,
    EXPORTERS,
    ExportResult,
    build_manifest,
    export_bundle,
)
from cerulean_train.export.records import Exporter, ExportRequest, ModelExport
from cerulean_train.export.samples import sample_tiles

__all__ = ["BUNDLE_SUFFIX", "EXPORTERS", "ExportRequest", "ExportResult", "Exporter",
           "ModelExport", "build_manifest", "export_bundle", "sample_tiles"]
