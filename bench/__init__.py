"""Benchmark and evaluation scripts (run as files: ``uv run python bench/<script>.py``)."""
