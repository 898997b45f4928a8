"""Building datasets: the resumable build, one scene's job on a dask worker, the part
files that commit scenes, assembling annotations.json, and the dask cluster."""

__all__: list[str] = []
