"""`optio price | iv | surface fit`: numbers match the engine; bad input is one clear line; one option
loads neither numpy nor numba nor scipy."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optio.cli.main import cli
from optio.pricing.black_scholes import bsm_price

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_price_then_iv_round_trip():
    out = run("price", "--spot", "100", "--strike", "110", "--expiry", "30d", "--type", "call", "--vol", "0.6")
    assert out.exit_code == 0, out.output
    premium = float(bsm_price(100, 110, 30 / 365, 0.6, is_call=True))
    assert f"{premium:,.6g}" in out.output
    back = run("iv", "--spot", "100", "--strike", "110", "--expiry", "30d", "--type", "call", "--price", repr(premium))
    assert back.exit_code == 0 and "implied vol 60.000000000000%" in back.output


@pytest.mark.parametrize("args", [
    ["price", "--spot", "3000", "--strike", "3200", "--expiry", "30d", "--type", "call", "--vol", "0.65"],
    ["iv", "--spot", "3000", "--strike", "3200", "--expiry", "30d", "--type", "call", "--price", "150"],
    ["iv", "--spot", "3000", "--strike", "3000", "--expiry", "30d", "--type", "put", "--price", "200"],
])
def test_one_option_loads_neither_numpy_nor_numba_nor_scipy(args):
    # The scalar path (optio.pricing.scalar): what keeps `optio price` and `optio iv` ≤ 0.5 s
    # (python -m benchmarks.cli).
    code = ("import sys\nfrom optio.cli.main import cli\n"
            f"cli.main({args!r}, standalone_mode=False)\n"
            "print('HEAVY', [m for m in ('numpy', 'numba', 'scipy', 'web3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).parents[2])
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    assert ("implied vol" if args[0] == "iv" else "vanna") in out.stdout


def test_price_and_greeks_are_the_engines():
    from optio.pricing.black_scholes import bsm_greeks

    out = run("price", "--spot", "3000", "--strike", "3200", "--expiry", "30d", "--type", "put", "--vol", "0.65",
              "--rate", "0.05", "--dividend", "0.01")
    assert out.exit_code == 0, out.output
    g = bsm_greeks(3000, 3200, 30 / 365, 0.65, is_call=False, rate=0.05, dividend=0.01)
    for value in (g.price, g.delta, g.gamma, g.vega_per_point, g.theta_per_day, g.rho / 100, g.vanna, g.volga):
        assert f"{float(value):,.6g}" in out.output


@pytest.mark.parametrize("premium", ["10", "0", "4e-323"])
def test_iv_without_information_is_not_zero(premium):
    # At the intrinsic value (spot 110, strike 100), a zero price out of the money, a price that
    # underflows once normalised: no vol is determined, and the CLI says so instead of 0%.
    strike = "100" if premium == "10" else "120"
    out = run("iv", "--spot", "110", "--strike", strike, "--expiry", "30d", "--type", "call", "--price", premium)
    assert out.exit_code == 0, out.output
    assert "no information" in out.output and "%" not in out.output


@pytest.mark.parametrize(("args", "message"), [
    (("iv", "--spot", "100", "--strike", "110", "--expiry", "30d", "--type", "call", "--price", "300"),
     "no implied vol: above maximum"),
    (("iv", "--spot", "100", "--strike", "90", "--expiry", "30d", "--type", "call", "--price", "5"),
     "no implied vol: below intrinsic"),
    (("price", "--spot", "100", "--strike", "110", "--expiry", "3x", "--type", "call", "--vol", "0.6"),
     "give years (0.25) or a duration"),
    (("price", "--spot", "-1", "--strike", "110", "--expiry", "1", "--type", "call", "--vol", "0.6"),
     "--spot must be a positive number"),
    (("price", "--spot", "100", "--strike", "110", "--expiry", "1", "--type", "call", "--vol", "0.6", "--rate", "inf"),
     "rate must be finite"),
    (("price", "--spot", "1e308", "--strike", "110", "--expiry", "1", "--type", "call", "--vol", "0.6", "--rate", "10"),
     "forward/spot must be positive and finite; got inf"),
    (("iv", "--spot", "100", "--strike", "110", "--expiry", "1", "--type", "call", "--price", "5", "--rate", "nan"),
     "no implied vol: invalid input"),
])
def test_bad_input_is_one_line(args, message):
    out = run(*args)
    assert out.exit_code != 0 and message in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception


def test_surface_fit_reports_rejections_and_plots(tmp_path):
    png = tmp_path / "smiles.png"
    out = run("surface", "fit", str(FIXTURES / "deribit_btc_options.json"), "--plot", str(png), "--wad")
    assert out.exit_code == 0, out.output
    assert "surface svi" in out.output and "crossed quote" in out.output and "wad (a, b, rho, m, sigma)" in out.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_surface_fit_of_a_non_snapshot_is_one_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"data": []}')
    out = run("surface", "fit", str(bad))
    assert out.exit_code == 1 and "snapshot shape is none of" in out.output
