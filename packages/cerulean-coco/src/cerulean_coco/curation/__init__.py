"""Deriving datasets: class remove/remap policies, filters and negatives, merges, splits,
and writing a derived dataset folder atomically."""

__all__: list[str] = []
