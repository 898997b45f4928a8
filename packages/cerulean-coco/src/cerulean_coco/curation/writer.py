"""Writing a derived dataset folder (filter, merge) in one atomic step."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cerulean_coco.errors import DatasetReadError
from cerulean_coco.format.document import CocoDocument
from cerulean_coco.format.layout import ANNOTATIONS_NAME, TILES_DIR
from cerulean_coco.format.manifest import Manifest
from cerulean_tiling.atomic import link_or_copy, staged_folder
from cerulean_tiling.paths import path_inside


def write_dataset(
    folder: Path,
    document: CocoDocument,
    manifest: Manifest,
    sources: Mapping[str, Path],
    *,
    overwrite: bool = False,
) -> CocoDocument:
    """Write ``document`` (canonicalised), ``manifest`` and tiles into ``folder``.

    Args:
        folder: the new dataset folder; it appears only when complete.
        document: images and annotations to write.
        manifest: manifest to write; its tile table is trimmed to the files written.
        sources: ``file_name`` (``tiles/<name>.tif``) -> existing tile file, for every
            image of ``document`` and every negative of ``manifest``; tiles are
            hard-linked where the filesystem allows, copied otherwise.
        overwrite: replace ``folder`` when it exists.

    Returns:
        The canonical document that was written.

    Raises:
        DatasetReadError: a source tile is missing.
        OutputError: ``folder`` exists and ``overwrite`` is false.
    """
    canonical = document.canonical()
    needed = {im.file_name for im in canonical.images}
    needed.update(im.file_name for im in manifest.negatives)
    with staged_folder(folder, overwrite=overwrite) as staged:
        (staged / TILES_DIR).mkdir()
        for file_name in sorted(needed):
            source = sources.get(file_name)
            if source is None or not source.is_file():
                raise DatasetReadError(f"{source or file_name}: tile file is missing")
            link_or_copy(source, path_inside(staged, file_name, "file_name"))
        manifest.tiles = {k: v for k, v in manifest.tiles.items() if k in needed}
        canonical.save(staged / ANNOTATIONS_NAME)
        manifest.save(staged)
    return canonical


__all__ = ["write_dataset"]
