"""The pricing feed of a running system: option-chain snapshots in Deribit's format, written to
a folder that the vol keeper (``source = "files"``) fits and posts from.

It reads the chain's spot (the SpotOracle) and time (the head block), quotes the
:class:`optio.pricing.smile_model.SmileSimulator`'s smiles around that spot, and writes one file per
new block (atomically: a reader never sees half a file), keeping the newest few.

    python -m optio.sim.feed --rpc URL --deployment FILE --out DIR [--seed 7] [--atm-vol 0.7]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from optio.pricing.chains.schema import OptionQuote
from optio.pricing.smile_model import SmileSimulator
from optio.sdk.chain import connect
from optio.sdk.deployment import Deployment
from optio.sdk.errors import OptioError
from optio.sdk.protocol import Protocol

KEEP = 5


def deribit_row(q: OptionQuote) -> dict:
    """One quote as a row of Deribit's ``get_book_summary_by_currency`` (premiums in the coin)."""
    day = datetime.fromtimestamp(q.expiry, UTC)
    name = f"{q.underlying}-{day.day}{day.strftime('%b').upper()}{day.strftime('%y')}-{round(q.strike)}-" \
           f"{'C' if q.option_type == 'call' else 'P'}"
    s = q.underlying_price
    return {"instrument_name": name, "bid_price": q.bid / s, "ask_price": q.ask / s, "mark_price": q.mark / s,
            "mark_iv": 100 * q.iv, "underlying_price": s, "underlying_index": f"{q.underlying}-index",
            "creation_timestamp": q.timestamp * 1000}


def write_snapshot(out: Path, t: int, quotes: list[OptionQuote]) -> Path:
    path = out / f"deribit-{t}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"jsonrpc": "2.0", "result": [deribit_row(q) for q in quotes]}))
    os.replace(tmp, path)
    for old in sorted(out.glob("deribit-*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
        old.unlink(missing_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--deployment", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--atm-vol", type=float, default=0.7)
    parser.add_argument("--vol-of-vol", type=float, default=0.5)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between looks at the chain")
    args = parser.parse_args()
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        p = Protocol(connect(args.rpc), Deployment.model_validate_json(args.deployment.read_text()))
    except (OptioError, OSError, ValueError) as err:
        raise SystemExit(f"feed: {err}") from None
    args.out.mkdir(parents=True, exist_ok=True)
    sim = SmileSimulator(seed=args.seed, atm_vol=args.atm_vol, vol_of_vol=args.vol_of_vol)
    last = None
    while not stop:
        try:
            t = p.w3.eth.get_block("latest")["timestamp"]
            if t != last:
                spot, _ = p.spot_oracle.latest_price()
                path = write_snapshot(args.out, t, sim.chain(t, float(spot)))
                print(json.dumps({"msg": "snapshot", "file": path.name, "spot": float(spot)}), flush=True)
                last = t
        except Exception as err:  # no price yet, a node restart: say so and look again
            print(json.dumps({"msg": "waiting", "reason": f"{type(err).__name__}: {err}"[:200]}), flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
