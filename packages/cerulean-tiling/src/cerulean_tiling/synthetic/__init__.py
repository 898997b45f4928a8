"""Synthetic annotated scenes with known truth, for tests, benchmarks and the demo."""
