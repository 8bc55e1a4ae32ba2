"""`optio trade …` and `optio margin …`: quotes, trades, the board, positions, expiry, margin."""

from __future__ import annotations

import click

from optio.cli.context import Context, json_option, one_line_errors
from optio.cli.options import SIDE_NAMES, option_options, order_options
from optio.cli.params import AMOUNT


def _actions():
    from optio.cli import trade as actions

    return actions


@click.group()
def trade() -> None:
    """Quote, buy, sell, close and exercise options; the board, positions; list and settle."""


@trade.command("quote")
@option_options
@click.option("--side", type=click.Choice(list(SIDE_NAMES)), default="buy", show_default=True)
@click.option("--amount", default="1", show_default=True, type=AMOUNT, help="Options (1 = one option on one WETH)")
@json_option
@click.pass_obj
@one_line_errors
def trade_quote(ctx: Context, expiry: str, strike: str, right: str, side: str, amount: str, as_json: bool) -> None:
    """The chain's price beside the off-chain engine's."""
    a = _actions()
    a.show_quote(ctx.protocol(), a.parse_option(expiry, strike, right), side, amount, as_json=as_json)


def _trade_command(side: str, help_text: str):
    @trade.command(side, help=help_text)
    @option_options
    @order_options
    @json_option
    @click.pass_obj
    @one_line_errors
    def command(ctx: Context, expiry, strike, right, amount, limit, slippage, as_json) -> None:
        a = _actions()
        option = a.parse_option(expiry, strike, right)
        a.trade(*ctx.protocol_and_signer(), option, side, amount, limit, slippage, as_json=as_json)

    return command


_trade_command("buy", "Buy options from the vault (premium in WETH for calls, USDC for puts).")
_trade_command("sell", "Sell options to the vault, short on your margin account.")


@trade.command("close")
@option_options
@click.option("--amount", default=None, type=AMOUNT, help="Options to close (default: the whole position)")
@json_option
@click.pass_obj
@one_line_errors
def trade_close(ctx: Context, expiry: str, strike: str, right: str, amount: str | None, as_json: bool) -> None:
    """Sell a long back, or buy a margin short back."""
    a = _actions()
    a.close(*ctx.protocol_and_signer(), a.parse_option(expiry, strike, right), amount, as_json=as_json)


@trade.command("exercise")
@option_options
@click.option("--holder", "holders", multiple=True, help="Holder to pay (repeatable; default: every holder)")
@json_option
@click.pass_obj
@one_line_errors
def trade_exercise(ctx: Context, expiry: str, strike: str, right: str, holders: tuple[str, ...],
                   as_json: bool) -> None:
    """Pay holders of a settled option (anyone may call)."""
    a = _actions()
    a.exercise(*ctx.protocol_and_signer(), a.parse_option(expiry, strike, right), holders, as_json=as_json)


@trade.command("settle")
@click.option("--expiry", required=True)
@json_option
@click.pass_obj
@one_line_errors
def trade_settle(ctx: Context, expiry: str, as_json: bool) -> None:
    """Settle an expiry at its recorded price (anyone may call)."""
    a = _actions()
    a.settle(*ctx.protocol_and_signer(), a.parse_expiry(expiry), as_json=as_json)


@trade.command("list")
@click.option("--expiry", required=True)
@click.option("--strikes", required=True, help="Comma-separated strikes in USDC")
@json_option
@click.pass_obj
@one_line_errors
def trade_list(ctx: Context, expiry: str, strikes: str, as_json: bool) -> None:
    """List strikes on a board (lister role)."""
    a = _actions()
    a.list_board(*ctx.protocol_and_signer(), a.parse_expiry(expiry), strikes, as_json=as_json)


@trade.command("board")
@click.option("--expiry", default=None, help="One expiry (default: every listed one)")
@json_option
@click.pass_obj
@one_line_errors
def trade_board(ctx: Context, expiry: str | None, as_json: bool) -> None:
    """Bid/ask, implied vol and Greeks per strike, open interest and your holding."""
    a = _actions()
    protocol, signer = ctx.protocol_and_signer()
    a.board(protocol, signer.address, None if expiry is None else a.parse_expiry(expiry), as_json=as_json)


@trade.command("positions")
@json_option
@click.pass_obj
@one_line_errors
def trade_positions(ctx: Context, as_json: bool) -> None:
    """Your options: amount, premiums paid and received, payouts, mark and P&L."""
    protocol, signer = ctx.protocol_and_signer()
    _actions().positions(protocol, signer.address, as_json=as_json)


@click.group()
def margin() -> None:
    """Collateral for selling options: deposit, withdraw, status."""


SIDE = click.Choice(["call", "put"])


@margin.command("deposit")
@click.option("--side", type=SIDE, required=True, help="call (WETH collateral) or put (USDC)")
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def margin_deposit(ctx: Context, side: str, amount: str) -> None:
    """Post collateral for shorts of one side."""
    _actions().margin_deposit(*ctx.protocol_and_signer(), side, amount)


@margin.command("withdraw")
@click.option("--side", type=SIDE, required=True)
@click.option("--amount", required=True, type=AMOUNT)
@click.pass_obj
@one_line_errors
def margin_withdraw(ctx: Context, side: str, amount: str) -> None:
    """Take collateral out, down to the requirement."""
    _actions().margin_withdraw(*ctx.protocol_and_signer(), side, amount)


@margin.command("status")
@json_option
@click.pass_obj
@one_line_errors
def margin_status(ctx: Context, as_json: bool) -> None:
    """Collateral, requirement, health ratio and the spot at which each side becomes liquidatable."""
    protocol, signer = ctx.protocol_and_signer()
    _actions().margin_status(protocol, signer.address, as_json=as_json)
