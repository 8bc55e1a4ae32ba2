"""MathHarness in an in-process EVM (pyrevm), random inputs over the libraries' domain, and the
Python engine's reference values: shared by the differential tests and benchmarks.math_gas.

All inputs are the integers the contracts take (wad, seconds); the reference evaluates the same
integers as floats, so both sides price exactly the same option.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector
from pyrevm import EVM

from optio.pricing.black_scholes import bsm_greeks
from optio.pricing.oracle_units import svi_from_wad

WAD = 10**18
YEAR = 365 * 86400
ARTIFACTS = Path(__file__).resolve().parents[1] / ".build" / "__local__.json"
CALLER = "0x" + "11" * 20
PRICE_ARGS = ["uint256"] * 4
SVI_TUPLE = "(int256,int256,int256,int256,int256)"
CHUNK = 2000


def harness_bytecode() -> bytes:
    code = json.loads(ARTIFACTS.read_text())["contractTypes"]["MathHarness"]["deploymentBytecode"]["bytecode"]
    return bytes.fromhex(code[2:])


class Harness:
    """MathHarness deployed in a fresh pyrevm EVM."""

    def __init__(self) -> None:
        self.evm = EVM(spec_id="SHANGHAI")
        self.evm.set_balance(CALLER, 10**20)
        self.address = self.evm.deploy(CALLER, harness_bytecode())

    def raw_call(self, signature: str, in_types: list[str], args: list) -> bytes:
        data = function_signature_to_4byte_selector(signature) + encode(in_types, args)
        return bytes(self.evm.message_call(CALLER, self.address, calldata=data))

    def call(self, signature: str, in_types: list[str], args: list, out_types: list[str]):
        return decode(out_types, self.raw_call(signature, in_types, args))

    def gas(self, name: str, in_types: list[str], args: list) -> int:
        """Gas of one library call, measured in the EVM (``…Gas`` functions of the harness)."""
        return self.call(f"{name}({','.join(in_types)})", in_types, args, ["uint256"])[0]

    def _batched(self, signature: str, in_types: list[str], columns: list[list], out_type: str) -> list:
        out: list = []
        for lo in range(0, len(columns[0]), CHUNK):
            out += self.call(signature, in_types, [c[lo:lo + CHUNK] for c in columns], [out_type])[0]
        return out

    def prices(self, spot, strike, tau, vol) -> np.ndarray:
        """[call, put, callDelta, vega] per option, as Python ints (object array)."""
        cols = [list(map(int, a)) for a in (spot, strike, tau, vol)]
        sig = "priceBatch(uint256[],uint256[],uint256[],uint256[])"
        return np.array(self._batched(sig, ["uint256[]"] * 4, cols, "uint256[4][]"), dtype=object)

    def cdfs(self, x: list[int]) -> list[int]:
        return self._batched("cdfBatch(int256[])", ["int256[]"], [x], "uint256[]")

    def svi_vols(self, params: list[tuple], k: list[int], tau: list[int]) -> list[int]:
        sig = f"sviVolBatch({SVI_TUPLE}[],int256[],uint256[])"
        return self._batched(sig, [f"{SVI_TUPLE}[]", "int256[]", "uint256[]"], [params, k, tau], "uint256[]")

    def quotes(self, spot, strike, tau, params) -> np.ndarray:
        """[vol, call, put, callDelta, vega] per option."""
        cols = [list(map(int, spot)), list(map(int, strike)), list(map(int, tau)), list(params)]
        sig = f"quoteBatch(uint256[],uint256[],uint256[],{SVI_TUPLE}[])"
        types = ["uint256[]"] * 3 + [f"{SVI_TUPLE}[]"]
        return np.array(self._batched(sig, types, cols, "uint256[5][]"), dtype=object)


@dataclass(frozen=True)
class Options:
    """Option inputs as the contracts take them: wad spot/strike/vol, seconds to expiry."""

    spot: list[int]
    strike: list[int]
    tau: np.ndarray
    vol: list[int]

    def floats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(spot, strike, years, vol) as floats, for the reference."""
        spot, strike, vol = (np.array(a, dtype=float) / WAD for a in (self.spot, self.strike, self.vol))
        return spot, strike, self.tau / YEAR, vol


def domain_sample(n: int, seed: int) -> Options:
    """Random options over the whole domain: K/S 0.05–20, 1 minute–5 years, vol 1%–1000%,
    log-uniform, with spots from 0.01 to 1e6."""
    rng = np.random.default_rng(seed)
    spot = np.exp(rng.uniform(np.log(1e-2), np.log(1e6), n))
    moneyness = np.exp(rng.uniform(np.log(0.05), np.log(20.0), n))
    tau = np.exp(rng.uniform(np.log(60), np.log(5 * YEAR), n)).astype(np.int64)
    vol = np.exp(rng.uniform(np.log(0.01), np.log(10.0), n))
    spot_w = [int(s * WAD) for s in spot]
    # Keep K/S inside [0.05, 20] after rounding to wad.
    strike_w = [
        min(max(int(s * m * WAD), (sw + 19) // 20), 20 * sw) for s, m, sw in zip(spot, moneyness, spot_w, strict=True)
    ]
    return Options(spot_w, strike_w, tau, [int(v * WAD) for v in vol])


#: The hard grid's axes: the domain's edges, deep ITM/OTM, minutes to expiry, extreme vols.
HARD_MONEYNESS = ["0.05", "0.0500001", "0.2", "0.5", "0.9", "0.99", "1", "1.01", "1.1", "2", "5", "19.99", "20"]
HARD_TAUS = [60, 61, 300, 3600, 86400, 7 * 86400, 30 * 86400, YEAR, 5 * YEAR]
HARD_VOLS = ["0.01", "0.05", "0.2", "1", "3", "10"]
HARD_SPOTS_WAD = [WAD // 100, 3000 * WAD, 10**6 * WAD]


def hard_grid() -> Options:
    """Every combination of the hard axes (2,106 options), exact in integers so that the edges
    0.05 and 20 are hit exactly."""
    rows = list(itertools.product(HARD_SPOTS_WAD, map(Fraction, HARD_MONEYNESS), HARD_TAUS, map(Fraction, HARD_VOLS)))
    return Options(
        [s for s, _, _, _ in rows],
        [s * m.numerator // m.denominator for s, m, _, _ in rows],
        np.array([t for _, _, t, _ in rows]),
        [WAD * v.numerator // v.denominator for _, _, _, v in rows],
    )


def price_errors(out: np.ndarray, options: Options, vol: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Absolute errors of [call, put, callDelta, vega] columns against optio.pricing.black_scholes:
    prices and vega as a fraction of spot, delta absolute."""
    spot, strike, years, vol_f = options.floats()
    vol_f = vol_f if vol is None else vol
    call = bsm_greeks(spot, strike, years, vol_f, is_call=True)
    put = bsm_greeks(spot, strike, years, vol_f, is_call=False)
    col = lambda i: out[:, i].astype(float) / WAD  # noqa: E731
    return {
        "call": np.abs(col(0) - call.price) / spot,
        "put": np.abs(col(1) - put.price) / spot,
        "delta": np.abs(col(2) - call.delta),
        "vega": np.abs(col(3) - call.vega) / spot,
    }


def svi_sample(n: int, seed: int, years: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Random SVI slices the VolOracle accepts, one per expiry in ``years``, whose vols stay
    within 5%–~300% on the domain's moneyness: the minimum total variance is (5%–200%)²·T and
    the slope scales with min(T, 1)."""
    rng = np.random.default_rng(seed)
    rho = rng.uniform(-0.9, 0.9, n)
    m = rng.uniform(-0.3, 0.3, n)
    sigma = np.exp(rng.uniform(np.log(0.01), np.log(1.0), n))
    b = rng.uniform(0.0, 0.25, n) * np.minimum(years, 1.0)
    min_vol = np.exp(rng.uniform(np.log(0.05), np.log(2.0), n))
    a = min_vol**2 * years - b * sigma * np.sqrt(1 - rho**2)
    return [tuple(int(np.rint(v * WAD)) for v in row) for row in zip(a, b, rho, m, sigma, strict=True)]


def svi_reference_vol(params: tuple, k: np.ndarray | float, years: np.ndarray | float) -> np.ndarray:
    """The engine's implied vol for the oracle's wad parameters (optio.pricing.svi via oracle_units)."""
    return svi_from_wad(params).implied_vol(k, years)


def svi_reference_vols(params: list[tuple], k: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``svi_reference_vol`` for one surface per element."""
    return np.array([svi_reference_vol(p, ki, t) for p, ki, t in zip(params, k, years, strict=True)])


@dataclass(frozen=True)
class SviVolInputs:
    """One oracle-valid surface per element, with a log-moneyness (wad) and seconds to expiry."""

    params: list[tuple[int, int, int, int, int]]
    k: list[int]
    tau: np.ndarray

    def rows(self) -> list[list]:
        return [[p, k, int(t)] for p, k, t in zip(self.params, self.k, self.tau, strict=True)]

    def reference(self) -> np.ndarray:
        return svi_reference_vols(self.params, np.array(self.k, dtype=float) / WAD, self.tau / YEAR)


def svi_vol_sample(n: int, seed: int) -> SviVolInputs:
    """Random surfaces (``svi_sample``) at 1 minute–5 years, k uniform in [−3, 3]."""
    rng = np.random.default_rng(seed)
    tau = np.exp(rng.uniform(np.log(60), np.log(5 * YEAR), n)).astype(np.int64)
    params = svi_sample(n, seed + 1, tau / YEAR)
    return SviVolInputs(params, [int(v * WAD) for v in rng.uniform(-3.0, 3.0, n)], tau)


@dataclass(frozen=True)
class QuoteInputs:
    """Options over the domain, each with its own surface, kept where the engine's SVI vol
    (``vol``, 1.0 = 100%) lies inside the Black-Scholes vol domain, away from its edges."""

    options: Options
    params: list[tuple[int, int, int, int, int]]
    vol: np.ndarray

    def columns(self) -> list[list]:
        """The arguments of ``Harness.quotes``."""
        return [self.options.spot, self.options.strike, list(map(int, self.options.tau)), self.params]

    def rows(self) -> list[list]:
        """One ``quote(spot, strike, tau, params)`` argument list per option."""
        return [list(r) for r in zip(*self.columns(), strict=True)]


def quote_sample(n: int, seed: int) -> QuoteInputs:
    options = domain_sample(n, seed)
    spot, strike, years, _ = options.floats()
    params = svi_sample(n, seed + 1, years)
    vol = svi_reference_vols(params, np.log(strike / spot), years)
    keep = np.flatnonzero((vol >= 0.0101) & (vol <= 9.99))
    kept = Options(
        [options.spot[i] for i in keep],
        [options.strike[i] for i in keep],
        options.tau[keep],
        [int(v * WAD) for v in vol[keep]],
    )
    return QuoteInputs(kept, [params[i] for i in keep], vol[keep])
