"""Describing datasets: statistics, shape properties of instances, plots, validation."""

__all__: list[str] = []
