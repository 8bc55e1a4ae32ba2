"""One deployment, connected: its vaults, oracles, tokens, market and margin account."""

from __future__ import annotations

from functools import cached_property

from web3 import Web3

from optio.sdk.contracts import VAULT_KEYS, SpotOracle, Token, Vault, VolOracle
from optio.sdk.deployment import Deployment, load_deployment
from optio.sdk.errors import InvalidInput
from optio.sdk.market import MarginAccount, Market


class Protocol:
    """Everything of one deployment, connected."""

    def __init__(self, w3: Web3, deployment: Deployment):
        self.w3 = w3
        self.deployment = deployment

    @classmethod
    def load(cls, w3: Web3) -> Protocol:
        return cls(w3, load_deployment(w3))

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
