"""Keeper daemons on one runtime (`optio.keepers.runtime`): oracle, vol, liquidator and settler.

Run one with ``python -m optio.keepers NAME --config FILE`` or ``optio keeper run NAME --config FILE``.
"""
