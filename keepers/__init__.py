"""Keeper daemons on one runtime: arrive with the keepers issue."""
