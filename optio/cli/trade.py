"""Trading and margin actions as the commands run them (the `optio` command and the ape
scripts): one function per command, every quote printed beside the off-chain engine's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import click
from rich.table import Table

from optio.cli.params import AMOUNT
from optio.cli.render import console, print_receipts
from optio.sdk.chain import Signer
from optio.sdk.errors import InvalidInput
from optio.sdk.market import MarginStatus, Option, QuoteView, TradeKind
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
    return datetime.fromtimestamp(expiry, UTC).strftime("%Y-%m-%d %H:%M UTC")


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


def show_quote(protocol: Protocol, option: Option, side: str, amount: str) -> None:
    console.print(quote_table(protocol.market.quote(option, SIDES[side], amount)))


def trade(protocol: Protocol, signer: Signer, option: Option, side: str, amount: str, limit: str | None,
          slippage: str) -> None:
    slip = parse_amount(slippage, name="slippage")
    if not Decimal(0) <= slip < 1:
        raise InvalidInput(f"slippage must be in [0, 1), got {slip}")
    kind = SIDES[side]
    q = protocol.market.quote(option, kind, amount)
    console.print(quote_table(q))
    receipt = protocol.market.trade(signer, option, kind, amount, limit=limit, slippage=slip)
    print_receipts(f"{side} {amount} {option}", [receipt])


def close(protocol: Protocol, signer: Signer, option: Option, amount: str | None) -> None:
    print_receipts(f"closed {option}", [protocol.market.close(signer, option, amount)])


def exercise(protocol: Protocol, signer: Signer, option: Option, holders: tuple[str, ...]) -> None:
    market = protocol.market
    who = list(holders) or market.holders(option)
    if not who:
        raise InvalidInput(f"nobody holds {option}")
    print_receipts(f"exercised {option} for {len(who)} holder(s)", [market.exercise_for(signer, option, who)])


def settle(protocol: Protocol, signer: Signer, expiry: int) -> None:
    print_receipts(f"settled {_when(expiry)}", [protocol.market.settle(signer, expiry)])


def list_board(protocol: Protocol, signer: Signer, expiry: int, strikes: str) -> None:
    values = [s.strip() for s in strikes.split(",") if s.strip()]
    print_receipts(f"listed {len(values)} strike(s) for {_when(expiry)}",
                   [protocol.market.list_strikes(signer, expiry, values)])


def board(protocol: Protocol, owner: str) -> None:
    market = protocol.market
    t = Table(title="Optio board", title_justify="left")
    for col in ("expiry", "strike", "type", "settled", "open (vault short / long)", "you hold"):
        t.add_column(col, justify="right")
    for expiry in market.expiries():
        for option in market.options(expiry):
            st = market.state(option)
            held = market.long_balance(owner, option)
            t.add_row(_when(expiry), f"{option.strike.normalize():f}", option.right, "yes" if st.settled else "no",
                      f"{st.vault_short.normalize():f} / {st.vault_long.normalize():f}", f"{held.normalize():f}")
    console.print(t)


def margin_status_table(s: MarginStatus) -> Table:
    t = Table(title=f"Margin account {s.account}", title_justify="left")
    t.add_column("")
    t.add_column(f"calls ({s.calls.token})", justify="right")
    t.add_column(f"puts ({s.puts.token})", justify="right")
    t.add_row("collateral", f"{s.calls.collateral:,.6f}", f"{s.puts.collateral:,.6f}")
    t.add_row("required", f"{s.calls.required:,.6f}", f"{s.puts.required:,.6f}")
    t.add_row("healthy", "yes" if s.calls.healthy else "NO", "yes" if s.puts.healthy else "NO")
    for option, amount in s.shorts:
        t.add_row(f"short {option.right} {option.strike.normalize():f} @ {_when(option.expiry)}", f"{amount}", "")
    return t


def margin_deposit(protocol: Protocol, signer: Signer, side: str, amount: str) -> None:
    receipt = protocol.margin.deposit(signer, side == "call", amount)
    print_receipts(f"deposited {amount} as {side} margin", [receipt])


def margin_withdraw(protocol: Protocol, signer: Signer, side: str, amount: str) -> None:
    receipt = protocol.margin.withdraw(signer, side == "call", amount)
    print_receipts(f"withdrew {amount} of {side} margin", [receipt])


def margin_status(protocol: Protocol, account: str) -> None:
    console.print(margin_status_table(protocol.margin.status(account)))


def option_options(fn):
    """--expiry/--strike/--type: which option, for the `optio` command and the ape scripts."""
    fn = click.option("--type", "right", type=click.Choice(["call", "put"]), required=True)(fn)
    fn = click.option("--strike", required=True, help="Strike in USDC, e.g. 2000")(fn)
    return click.option("--expiry", required=True, help="Unix seconds or ISO date (2026-12-25 = 08:00 UTC)")(fn)


def order_options(fn):
    """--amount/--limit/--slippage of a buy or a sell."""
    fn = click.option("--slippage", default="0.01", show_default=True, help="Fraction of the quote")(fn)
    limit_help = "Premium limit in the collateral token (default: quote ± slippage)"
    fn = click.option("--limit", default=None, type=AMOUNT, help=limit_help)(fn)
    return click.option("--amount", required=True, type=AMOUNT, help="Options (1 = one option on one WETH)")(fn)


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
