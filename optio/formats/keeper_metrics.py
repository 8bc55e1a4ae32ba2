"""The names of the metrics every keeper exports on ``/metrics`` (Prometheus text), defined once
for the keeper runtime that writes them and the readers (risk service, demo) that parse them."""

#: Counter: transactions by ``outcome`` (mined, reverted, simulation, …).
TX_ATTEMPTS = "keeper_tx_attempts"
#: Counter: cycles that failed, by ``kind``.
CYCLE_ERRORS = "keeper_cycle_errors"
#: Gauge: when the keeper last acted on-chain (Unix s).
LAST_ACTION = "keeper_last_action_timestamp_seconds"
#: Gauge: when the last cycle ended (Unix s).
LAST_CYCLE = "keeper_last_cycle_timestamp_seconds"
#: Gauge: the keeper's native balance (ETH).
WALLET_BALANCE = "keeper_wallet_balance_eth"
#: Gauge: chain head time minus the last cycle's view of it (s).
LAG = "keeper_lag_seconds"
#: The counters :func:`optio.formats.keeper_health.keeper_counts` reads, with their label.
COUNTERS = {TX_ATTEMPTS: "outcome", CYCLE_ERRORS: "kind"}
