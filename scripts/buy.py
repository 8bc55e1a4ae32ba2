"""ape run buy --expiry E --strike K --type call|put --amount N [--limit P] [--slippage 0.01]"""

from optio.cli.trade import order_script

cli = order_script("buy")
