"""The dataset format: COCO records, annotations.json, manifest.json, RLE masks, build
parameters, file hashes and the names of a dataset folder's files."""

__all__: list[str] = []
