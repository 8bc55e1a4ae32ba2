"""Keeper daemons on one runtime (`keepers.runtime`): oracle, vol, liquidator and settler.

Run one with ``python -m keepers NAME --config FILE`` or ``optio keeper run NAME --config FILE``.
"""
