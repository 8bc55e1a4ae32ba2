"""Pricing engine: pure numerical code on numpy and scipy, no chain, nothing else of the project.

Modules: ``black_scholes`` (Black-76 and BSM prices and Greeks), ``normalised_black`` and
``implied_vol`` (Jäckel's Let's Be Rational), ``svi`` and ``surface`` (fits, static-arbitrage
checks, SSVI repair), ``oracle_units`` (VolOracle wads), ``chains`` (venue snapshots to one schema),
``market_surface`` (chain to surface), ``quotes`` (the AMM's bid/ask formula), ``risk``.
"""
