"""Backtests and simulations of the protocol.

One engine (:mod:`sim.engine`) drives a market path and seeded agents through a protocol: the
real contracts on a local chain (:mod:`sim.onchain`) or a chain-free model of the same rules on
the same ``pricing/`` code (:mod:`sim.model`), fast enough to sweep parameters. Reports go to a
folder (:mod:`sim.report`). Layer: on top of ``pricing`` and ``optio``, beside ``keepers``.
"""
