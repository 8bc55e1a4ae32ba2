"""Risk tests reuse the keeper tests' chain: a real Anvil, the protocol deployed once per
module, each test inside a snapshot."""

from tests.keepers.conftest import chain, deployed, keeper, protocol, w3  # noqa: F401 - fixtures
