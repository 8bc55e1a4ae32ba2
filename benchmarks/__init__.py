"""Benchmarks: `python -m benchmarks.NAME` prints a table and, last, one JSON line of figures."""
