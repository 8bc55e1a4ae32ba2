"""Formats several services read: the guardian's decision log, the keepers' health and metric names."""
