"""The one runtime every keeper runs on: config, key, RPC failover, transactions, metrics, loop."""

from optio.keepers.runtime.config import KeeperConfig, RuntimeConfig, load_config
from optio.keepers.runtime.daemon import KEEPERS, Context, Head, Runner
from optio.keepers.runtime.txs import Outcome, TxManager

__all__ = ["KEEPERS", "Context", "Head", "KeeperConfig", "Outcome", "Runner", "RuntimeConfig", "TxManager",
           "load_config"]
