"""One deployment, connected: its vaults, oracles, tokens, market and margin account."""

from __future__ import annotations

from functools import cached_property

from web3 import Web3

from optio.sdk.contracts import VAULT_KEYS, SpotOracle, Token, Vault, VolOracle
from optio.sdk.deployment import Deployment, load_deployment
from optio.sdk.errors import InvalidInput
from optio.sdk.market import MarginAccount, Market


class Protocol:
    """Everything of one market of a deployment, connected (a deployment's markets share
    nothing but the quote token, the timelock and the registry: one Protocol per market)."""

    def __init__(self, w3: Web3, deployment: Deployment):
        self.w3 = w3
        self.deployment = deployment

    @classmethod
    def load(cls, w3: Web3, market: str | None = None) -> Protocol:
        """The deployment of ``w3``'s chain, market ``market`` (None: the first)."""
        return cls(w3, load_deployment(w3).for_market(market))

    @property
    def market_name(self) -> str | None:
        """This market's name in the manifest and the registry (the manifest as written is its
        first market's view; None: a manifest from before markets)."""
        if self.deployment.market is not None:
            return self.deployment.market
        return next(iter(self.deployment.markets), None)

    def markets(self) -> dict[str, Protocol]:
        """Every market of the deployment, by name, this one included."""
        return {name: Protocol(self.w3, self.deployment.for_market(name)) for name in self.deployment.market_names()}

    def vault(self, kind: str) -> Vault:
        if kind not in VAULT_KEYS:
            raise InvalidInput(f"unknown vault {kind!r}: choose one of {', '.join(VAULT_KEYS)}")
        return Vault(self.w3, self.deployment.address(VAULT_KEYS[kind]), from_block=self.deployment.deploy_block)

    @cached_property
    def spot_oracle(self) -> SpotOracle:
        return SpotOracle(self.w3, self.deployment.address("SpotOracle"))

    @cached_property
    def vol_oracle(self) -> VolOracle:
        return VolOracle(self.w3, self.deployment.address("VolOracle"))

    def token(self, key: str) -> Token:
        return Token(self.w3, self.deployment.address(key))

    @cached_property
    def margin(self) -> MarginAccount:
        return MarginAccount(self.w3, self.deployment.address("MarginAccount"))

    @cached_property
    def market(self) -> Market:
        return Market(
            self.w3,
            self.deployment.address("OptionMarket"),
            margin=self.margin,
            from_block=self.deployment.deploy_block,
        )
