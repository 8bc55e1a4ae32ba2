"""Pricing engine (pure math, no chain): arrives with the pricing-engine issue."""
