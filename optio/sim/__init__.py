"""Backtests and simulations of the protocol.

One engine (:mod:`optio.sim.backtest.engine`) drives a market path and seeded agents through a protocol: the
real contracts on a local chain (:mod:`optio.sim.backtest.onchain`) or a chain-free model of the same rules on
the same ``pricing/`` code (:mod:`optio.sim.backtest.model`), fast enough to sweep parameters. Reports go to a
folder (:mod:`optio.sim.backtest.report`). Layer: on top of ``pricing`` and ``optio``, beside ``keepers``.
"""
