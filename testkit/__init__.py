"""Support shared by the tests and the benchmarks (not installed): the math harness, a headless browser."""
