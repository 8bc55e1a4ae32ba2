"""Trading and margin actions as the commands run them (the `optio` command and the ape
scripts): one function per command, every quote printed beside the off-chain engine's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import click
from rich.table import Table

from optio.cli.context import emit_json
from optio.cli.options import option_options, order_options
from optio.cli.render import console, print_receipts, show, tx_list
from optio.sdk.chain import Signer
from optio.sdk.errors import InvalidInput
from optio.sdk.market import (
    BoardRow,
    MarginStatus,
    Option,
    PositionPnl,
    QuoteView,
    SideHealth,
    TradeKind,
    board_rows,
    iso_expiry,
    margin_health,
    positions_pnl,
)
from optio.sdk.protocol import Protocol
from optio.sdk.units import parse_amount

SIDES = {"buy": TradeKind.BUY, "sell": TradeKind.SELL, "close-long": TradeKind.CLOSE_LONG,
         "close-short": TradeKind.CLOSE_SHORT}


def parse_expiry(text: str) -> int:
    """Unix seconds, or an ISO date/time read as UTC (``2026-12-25`` is 08:00 UTC, the venues'
    expiry hour)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"expiry {text!r}: give Unix seconds or an ISO date like 2026-12-25T08:00") from None
    if len(text) == 10:
        dt = dt.replace(hour=8)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def parse_option(expiry: str, strike: str, right: str) -> Option:
    if right not in ("call", "put"):
        raise InvalidInput(f"option type {right!r}: choose call or put")
    k = parse_amount(strike, name="strike")
    if k <= 0:
        raise InvalidInput(f"strike must be positive, got {k}")
    return Option(parse_expiry(expiry), k, right == "call")


def _when(expiry: int) -> str:
    return iso_expiry(expiry)


def quote_table(q: QuoteView) -> Table:
    t = Table(title=f"{q.kind.name.lower().replace('_', ' ')} {q.amount} × {q.option.right} "
              f"{q.option.strike.normalize():f} expiring {_when(q.option.expiry)}", title_justify="left")
    t.add_column("")
    t.add_column("chain", justify="right")
    t.add_column("engine (pricing/)", justify="right")
    t.add_row("price per option (USDC)", f"{q.per_option:,.6f}", f"{q.engine_per_option:,.6f}")
    t.add_row(f"premium ({q.token})", f"{q.premium:,.6f}", f"{q.engine_premium:,.6f}")
    t.add_row("gap (× spot)", f"{q.engine_gap:.1e}", "")
    t.add_row("mid per option", f"{q.mid:,.6f}", "")
    t.add_row("vol", f"{q.vol:.4%}", "")
    t.add_row("spot", f"{q.spot:,.2f}", "")
    t.add_row("inventory / utilisation", f"{q.inventory:.4f} / {q.utilisation:.4f}", "")
    return t


def show_quote(protocol: Protocol, option: Option, side: str, amount: str, *, as_json: bool = False) -> None:
    q = protocol.market.quote(option, SIDES[side], amount)
    if as_json:
        emit_json(_quote_json(q))
        return
    show(quote_table(q))


def _quote_json(q: QuoteView) -> dict:
    data = {k: v for k, v in q.__dict__.items() if k not in ("option", "kind")}
    return {"option": _option_json(q.option), "side": q.kind.name.lower(), **data, "engine_gap": q.engine_gap}


def _option_json(option: Option) -> dict:
    return {"expiry": iso_expiry(option.expiry), "expiry_unix": option.expiry, "strike": option.strike,
            "type": option.right, "id": str(option.id)}


def trade(protocol: Protocol, signer: Signer, option: Option, side: str, amount: str, limit: str | None,
          slippage: str, *, as_json: bool = False) -> None:
    slip = parse_amount(slippage, name="slippage")
    if not Decimal(0) <= slip < 1:
        raise InvalidInput(f"slippage must be in [0, 1), got {slip}")
    kind = SIDES[side]
    q = protocol.market.quote(option, kind, amount)
    if not as_json:
        show(quote_table(q))
    receipt = protocol.market.trade(signer, option, kind, amount, limit=limit, slippage=slip)
    if as_json:
        emit_json({"trade": side, "quote": _quote_json(q), "txs": tx_list([receipt])})
        return
    print_receipts(f"{side} {amount} {option}", [receipt])


def close(protocol: Protocol, signer: Signer, option: Option, amount: str | None, *, as_json: bool = False) -> None:
    receipt = protocol.market.close(signer, option, amount)
    if as_json:
        emit_json({"closed": _option_json(option), "txs": tx_list([receipt])})
        return
    print_receipts(f"closed {option}", [receipt])


def exercise(protocol: Protocol, signer: Signer, option: Option, holders: tuple[str, ...], *,
             as_json: bool = False) -> None:
    market = protocol.market
    who = list(holders) or market.holders(option)
    if not who:
        raise InvalidInput(f"nobody holds {option} (closed or exercised already)")
    receipt = market.exercise_for(signer, option, who)
    if as_json:
        emit_json({"exercised": _option_json(option), "holders": who, "txs": tx_list([receipt])})
        return
    print_receipts(f"exercised {option} for {len(who)} holder(s)", [receipt])


def settle(protocol: Protocol, signer: Signer, expiry: int, *, as_json: bool = False) -> None:
    receipt = protocol.market.settle(signer, expiry)
    if as_json:
        emit_json({"settled": iso_expiry(expiry), "txs": tx_list([receipt])})
        return
    print_receipts(f"settled {_when(expiry)}", [receipt])


def list_board(protocol: Protocol, signer: Signer, expiry: int, strikes: str, *, as_json: bool = False) -> None:
    values = [s.strip() for s in strikes.split(",") if s.strip()]
    receipt = protocol.market.list_strikes(signer, expiry, values)
    if as_json:
        emit_json({"listed": iso_expiry(expiry), "strikes": values, "txs": tx_list([receipt])})
        return
    print_receipts(f"listed {len(values)} strike(s) for {_when(expiry)}", [receipt])


def _num(value, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def board(protocol: Protocol, owner: str, expiry: int | None = None, *, as_json: bool = False) -> None:
    """Bid/ask, implied vol and Greeks per strike of one expiry (default: every live one)."""
    market = protocol.market
    expiries = [expiry] if expiry is not None else market.expiries()
    if expiry is not None and expiry not in market.expiries():
        raise InvalidInput(f"no board for {_when(expiry)} (listed: "
                           f"{', '.join(_when(e) for e in market.expiries()) or 'none'})")
    rows = {e: board_rows(market, e, owner) for e in expiries}
    if as_json:
        emit_json({"owner": owner, "boards": [{"expiry": iso_expiry(e), "rows": [_row_json(r) for r in rs]}
                                              for e, rs in rows.items()]})
        return
    for e, rs in rows.items():
        show(board_table(e, rs), drop=("open short/long", "you", "gamma", "theta", "vega"))


def _row_json(r: BoardRow) -> dict:
    return {**_option_json(r.option), **{k: v for k, v in r.__dict__.items() if k != "option"}}


def board_table(expiry: int, rows: list[BoardRow]) -> Table:
    t = Table(title=f"Board {_when(expiry)}: per option, in USDC (vega per vol point, theta per day)",
              title_justify="left")
    for col in ("strike", "type", "bid", "ask", "IV", "delta", "gamma", "vega", "theta", "open short/long", "you"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for r in rows:
        t.add_row(f"{r.option.strike.normalize():f}", r.option.right + (" (settled)" if r.settled else ""),
                  _num(r.bid, ",.2f"), _num(r.ask, ",.2f"), _num(r.vol, ".2%"), _num(r.delta, ".4f"),
                  _num(r.gamma, ".6f"), _num(r.vega, ".4f"), _num(r.theta, ".4f"),
                  f"{r.vault_short.normalize():f}/{r.vault_long.normalize():f}", f"{r.held.normalize():f}")
    return t


def positions(protocol: Protocol, owner: str, *, as_json: bool = False) -> None:
    """Every option the account traded: amount, premiums, payouts, mark and P&L."""
    rows = positions_pnl(protocol.market, owner)
    if as_json:
        emit_json({"owner": owner, "positions": [{**_option_json(p.option),
                                                  **{k: v for k, v in p.__dict__.items() if k != "option"}}
                                                 for p in rows]})
        return
    if not rows:
        console.print(f"{owner} has traded no option")
        return
    show(positions_table(owner, rows), drop=("payouts", "received", "token"))


def positions_table(owner: str, rows: list[PositionPnl]) -> Table:
    t = Table(title=f"Positions of {owner} (amounts in each option's collateral token; mark: what closing fetches)",
              title_justify="left")
    for col in ("option", "amount", "token", "paid", "received", "payouts", "mark", "P&L"):
        t.add_column(col, justify="left" if col in ("option", "token") else "right")
    for p in rows:
        t.add_row(str(p.option), f"{p.amount.normalize():f}", p.token, f"{p.paid:,.6f}", f"{p.received:,.6f}",
                  f"{p.payouts:,.6f}", _num(p.mark, ",.6f"), _num(p.pnl, "+,.6f"))
    return t


def margin_status_table(s: MarginStatus, health: dict[bool, SideHealth] | None = None) -> Table:
    t = Table(title=f"Margin account {s.account}", title_justify="left")
    t.add_column("")
    t.add_column(f"calls ({s.calls.token})", justify="right")
    t.add_column(f"puts ({s.puts.token})", justify="right")
    t.add_row("collateral", f"{s.calls.collateral:,.6f}", f"{s.puts.collateral:,.6f}")
    t.add_row("required", f"{s.calls.required:,.6f}", f"{s.puts.required:,.6f}")
    t.add_row("healthy", "yes" if s.calls.healthy else "NO", "yes" if s.puts.healthy else "NO")
    if health:
        t.add_row("health (collateral ÷ required)", *(_num(health[c].ratio, ".3f") for c in (True, False)))
        t.add_row("liquidation at spot (USDC)", *(_num(health[c].liquidation_spot, ",.2f") for c in (True, False)))
    for option, amount in s.shorts:
        t.add_row(f"short {option.right} {option.strike.normalize():f} @ {_when(option.expiry)}",
                  f"{amount.normalize():f} options", "")
    return t


def margin_deposit(protocol: Protocol, signer: Signer, side: str, amount: str) -> None:
    receipt = protocol.margin.deposit(signer, side == "call", amount)
    print_receipts(f"deposited {amount} as {side} margin", [receipt])


def margin_withdraw(protocol: Protocol, signer: Signer, side: str, amount: str) -> None:
    receipt = protocol.margin.withdraw(signer, side == "call", amount)
    print_receipts(f"withdrew {amount} of {side} margin", [receipt])


def margin_status(protocol: Protocol, account: str, *, as_json: bool = False) -> None:
    status, health = margin_health(protocol.market, account)
    if as_json:
        emit_json({"account": account, "calls": health[True], "puts": health[False],
                   "shorts": [{**_option_json(o), "amount": a} for o, a in status.shorts]})
        return
    show(margin_status_table(status, health))


def order_script(side: str) -> click.Command:
    """The ape script of a buy or a sell (`ape run buy|sell …`)."""
    from ape.cli import account_option

    from optio.cli.ape import ApeScript, ApeSigner, protocol_from
    from optio.cli.errors import one_line_errors

    @click.command(cls=ApeScript, short_help=f"{side.capitalize()} Optio options")
    @account_option()
    @option_options
    @order_options
    def cli(provider, account, expiry, strike, right, amount, limit, slippage):
        with one_line_errors():
            option = parse_option(expiry, strike, right)
            trade(protocol_from(provider), ApeSigner(account), option, side, amount, limit, slippage)

    return cli
