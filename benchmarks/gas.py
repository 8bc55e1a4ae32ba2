"""Gas of the LP and oracle entry points, measured from receipts on a real Anvil.

    python -m benchmarks.gas

Gas is deterministic for a given state, so one run is exact; each action is measured in the
state a user meets it in (named in the table): the first-ever deposit into an empty vault pays
for storage that every later deposit finds already written.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from optio.chain import LocalSigner, dev_account
from optio.contracts import Client, Protocol, SviParams
from optio.deploy import DeployConfig, deploy_protocol
from optio.localchain import local_chain

TARGETS = {"deposit_new_lp": 90_000, "oracle_post": 50_000}


def _send(client: Client, signer, fn: str, *args) -> int:
    """Gas used by ``fn(*args)``."""
    return client.transact(signer, fn, *args)["gasUsed"]


def _mine_at(w3, timestamp: int) -> None:
    w3.provider.make_request("evm_mine", [timestamp])


def measure_vault(p: Protocol, kind: str, signers: dict, market) -> dict[str, int]:
    v = p.vault(kind)
    one = 10**v.asset.decimals
    first, second, third = signers["first"], signers["second"], signers["third"]
    for s in (first, second, third):
        v.asset.faucet(s, 1000)
        _send(v.asset, s, "approve", v.address, 2**256 - 1)
    g: dict[str, int] = {}
    g["deposit_first_ever"] = _send(v, first, "deposit", 100 * one, first.address)
    _send(v.asset, second, "approve", v.address, 100 * one)  # exact approval, as the SDK does
    g["deposit_new_lp"] = _send(v, second, "deposit", 100 * one, second.address)
    g["deposit_existing_lp"] = _send(v, first, "deposit", 50 * one, first.address)
    g["withdraw"] = _send(v, first, "withdraw", 10 * one, first.address, first.address)
    g["redeem_all"] = _send(v, second, "redeem", v.call("balanceOf", second.address), second.address, second.address)
    _send(v, third, "deposit", 100 * one, third.address)
    _send(v, market, "lockCollateral", v.call("freeLiquidity"))
    g["request_redeem"] = _send(
        v, third, "requestRedeem", v.call("balanceOf", third.address) // 2, third.address, third.address
    )
    rid = v.call("queueLength") - 1
    _send(v, third, "requestRedeem", v.call("balanceOf", third.address), third.address, third.address)
    g["cancel_request"] = _send(v, third, "cancelRedeemRequest", rid + 1)
    g["unlock_and_serve_1"] = _send(v, market, "unlockCollateral", v.call("lockedAssets"))
    g["claim"] = _send(v, third, "claim", rid, third.address)
    return g


def measure_oracles(w3, p: Protocol, keeper) -> dict[str, int]:
    g: dict[str, int] = {}
    t = w3.eth.get_block("latest")["timestamp"] + 10
    _mine_at(w3, t)
    g["oracle_post_first"] = _send(p.spot_oracle, keeper, "post", 3000 * 10**18, t)
    _mine_at(w3, t + 60)
    g["oracle_post"] = _send(p.spot_oracle, keeper, "post", 3010 * 10**18, t + 60)
    expiry = t + 3600
    g["register_expiry"] = _send(p.spot_oracle, keeper, "registerExpiry", expiry)
    _mine_at(w3, expiry + 5)
    g["oracle_post_settling"] = _send(p.spot_oracle, keeper, "post", 3020 * 10**18, expiry + 5)
    vol_expiry = expiry + 30 * 86400
    svi = SviParams(a=0.002, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
    g["vol_post_first"] = p.vol_oracle.post(keeper, vol_expiry, svi)["gasUsed"]
    _mine_at(w3, expiry + 600)
    svi2 = SviParams(a=0.0021, b=0.02, rho=-0.3, m=0.0, sigma=0.1)
    g["vol_post"] = p.vol_oracle.post(keeper, vol_expiry, svi2)["gasUsed"]
    return g


def run() -> dict:
    with local_chain("anvil") as chain:
        w3 = chain.w3
        deployer, keeper, market = (LocalSigner(dev_account(i)) for i in (0, 9, 7))
        p = Protocol(w3, deploy_protocol(w3, deployer, DeployConfig(keeper=keeper.address), save=False))
        for kind in ("call", "put"):
            v = p.vault(kind)
            _send(v, deployer, "grantRole", v.call("MARKET_ROLE"), market.address)
        signers = {k: LocalSigner(dev_account(i)) for k, i in (("first", 1), ("second", 2), ("third", 3))}
        vaults = {kind: measure_vault(p, kind, signers, market) for kind in ("call", "put")}
        oracles = measure_oracles(w3, p, keeper)
    return {"vaults": vaults, "oracles": oracles}


def main() -> None:
    figures = run()
    console = Console(highlight=False)
    table = Table(title="Gas (measured from receipts on Anvil; WETH call vault / USDC put vault)")
    for col in ("action", "call vault", "put vault", "target"):
        table.add_column(col, justify="right" if col != "action" else "left")
    for action, gas in figures["vaults"]["call"].items():
        target = TARGETS.get(action)
        put_gas = figures["vaults"]["put"][action]
        verdict = "" if target is None else f"≤ {target:,} {'✓' if max(gas, put_gas) <= target else '✗'}"
        table.add_row(action, f"{gas:,}", f"{put_gas:,}", verdict)
    for action, gas in figures["oracles"].items():
        target = TARGETS.get(action)
        verdict = "" if target is None else f"≤ {target:,} {'✓' if gas <= target else '✗'}"
        table.add_row(action, f"{gas:,}", "", verdict)
    console.print(table)
    print(json.dumps(figures, separators=(",", ":")))


if __name__ == "__main__":
    main()
