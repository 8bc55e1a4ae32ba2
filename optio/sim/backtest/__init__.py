"""Backtests: a market path and seeded agents through the real contracts or the chain-free model."""
