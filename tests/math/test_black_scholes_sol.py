"""BlackScholes.sol against the Python engine, differentially, in an in-process EVM (pyrevm).

The reference is pricing.black_scholes on the same (wad-rounded) inputs; the bar is the issue's:
max absolute error ≤ 1e-12 × spot for prices and vega, across the whole domain.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector
from pyrevm import EVM

from pricing.black_scholes import bsm_greeks

WAD = 10**18
YEAR = 365 * 86400
ARTIFACTS = Path(__file__).resolve().parents[2] / ".build" / "__local__.json"
CALLER = "0x" + "11" * 20
N_DIFFERENTIAL = 50_000


class Harness:
    """MathHarness deployed in a fresh pyrevm EVM."""

    def __init__(self) -> None:
        code = json.loads(ARTIFACTS.read_text())["contractTypes"]["MathHarness"]["deploymentBytecode"]["bytecode"]
        self.evm = EVM(spec_id="SHANGHAI")
        self.evm.set_balance(CALLER, 10**20)
        self.address = self.evm.deploy(CALLER, bytes.fromhex(code[2:]))

    def raw_call(self, signature: str, in_types: list[str], args: list) -> bytes:
        data = function_signature_to_4byte_selector(signature) + encode(in_types, args)
        return bytes(self.evm.message_call(CALLER, self.address, calldata=data))

    def call(self, signature: str, in_types: list[str], args: list, out_types: list[str]):
        return decode(out_types, self.raw_call(signature, in_types, args))

    def prices(self, spot, strike, tau, vol) -> np.ndarray:
        out = []
        for lo in range(0, len(spot), 2000):
            sl = slice(lo, lo + 2000)
            args = [list(map(int, a[sl])) for a in (spot, strike, tau, vol)]
            out += self.call("priceBatch(uint256[],uint256[],uint256[],uint256[])", ["uint256[]"] * 4, args,
                             ["uint256[4][]"])[0]
        return np.array(out, dtype=object)


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


def domain_sample(n: int, seed: int):
    """Random options over the whole domain: K/S 0.05–20, 1 minute–5 years, vol 1%–1000% (wad ints)."""
    rng = np.random.default_rng(seed)
    spot = np.exp(rng.uniform(np.log(1e-2), np.log(1e6), n))
    moneyness = np.exp(rng.uniform(np.log(0.05), np.log(20.0), n))
    tau = np.exp(rng.uniform(np.log(60), np.log(5 * YEAR), n)).astype(np.int64)
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    spot_w = [int(s * WAD) for s in spot]
    strike_w = [max(int(s * m * WAD), (sw + 19) // 20) for s, m, sw in zip(spot, moneyness, spot_w, strict=True)]
    strike_w = [min(k, 20 * sw) for k, sw in zip(strike_w, spot_w, strict=True)]
    vol_w = [int(v * WAD) for v in vol]
    return spot_w, strike_w, tau, vol_w


def errors(harness: Harness, n: int, seed: int) -> dict[str, np.ndarray]:
    spot_w, strike_w, tau, vol_w = domain_sample(n, seed)
    out = harness.prices(spot_w, strike_w, tau, vol_w)
    spot, strike, vol = (np.array(a, dtype=float) / WAD for a in (spot_w, strike_w, vol_w))
    years = tau / YEAR
    call = bsm_greeks(spot, strike, years, vol, is_call=True)
    put = bsm_greeks(spot, strike, years, vol, is_call=False)
    as_float = lambda col: out[:, col].astype(float) / WAD  # noqa: E731
    return {
        "call": np.abs(as_float(0) - call.price) / spot,
        "put": np.abs(as_float(1) - put.price) / spot,
        "delta": np.abs(as_float(2) - call.delta),
        "vega": np.abs(as_float(3) - call.vega) / spot,
    }


def test_prices_delta_vega_match_the_engine_across_the_domain(harness):
    errs = errors(harness, N_DIFFERENTIAL, seed=1)
    for name, err in errs.items():
        assert err.max() <= 1e-12, f"{name}: max error {err.max():.2e} (× spot)"


def test_cdf_within_3e_16_of_mpmath(harness):
    mp.mp.dps = 30
    xs = [int(x * WAD) for x in np.linspace(-9.0, 9.0, 3001)] + [0, 1, -1, 8_500_000_000_000_000_000]
    values = harness.call("cdfBatch(int256[])", ["int256[]"], [xs], ["uint256[]"])[0]
    worst = max(abs(mp.mpf(v) / WAD - mp.ncdf(mp.mpf(x) / WAD)) for v, x in zip(values, xs, strict=True))
    assert worst <= 3e-16


def test_expiry_gives_intrinsic_and_a_step_delta(harness):
    sig = "price(uint256,uint256,uint256,uint256)"
    out = ["(uint256,uint256,uint256,uint256)"]
    itm = harness.call(sig, ["uint256"] * 4, [3000 * WAD, 2500 * WAD, 0, WAD // 2], out)[0]
    atm = harness.call(sig, ["uint256"] * 4, [3000 * WAD, 3000 * WAD, 0, WAD // 2], out)[0]
    assert itm == (500 * WAD, 0, WAD, 0)
    assert atm == (0, 0, WAD // 2, 0)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((3000 * WAD, 3000 * WAD * 21, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 3000 * WAD // 21, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((0, 3000 * WAD, 86400, WAD), "MoneynessOutOfDomain(uint256,uint256)"),
        ((3000 * WAD, 3000 * WAD, 59, WAD), "ExpiryOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 5 * YEAR + 1, WAD), "ExpiryOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 86400, WAD // 100 - 1), "VolOutOfDomain(uint256)"),
        ((3000 * WAD, 3000 * WAD, 86400, 10 * WAD + 1), "VolOutOfDomain(uint256)"),
    ],
)
def test_outside_the_domain_is_a_custom_error(harness, args, error):
    with pytest.raises(Exception) as info:
        harness.raw_call("price(uint256,uint256,uint256,uint256)", ["uint256"] * 4, list(args))
    assert function_signature_to_4byte_selector(error).hex() in str(info.value)
