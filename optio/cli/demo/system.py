"""The whole system in one command (`make demo` → `optio demo`).

On a fresh local Anvil: deploy, fund and open the LPs' and margin sellers' accounts (instant
mining), then give the chain a block time (1 s blocks, each ``block_s`` of chain time, so days
pass in minutes) and start every service as its own process: the pricing feed, and the oracle,
vol, liquidator and settler keepers. Seeded LPs and traders (:mod:`optio.sim.backtest.users`) then act on each
new block; the demo lists a daily board as expiries come near. An LP who moves while a vault
holds live options makes a request, which the oracle keeper fills after its next post (forward
pricing, docs/lp-flows.md); her filled exits are claimed at her next exit. At the end, a summary
from the chain and the keepers' own metrics.

With ``rpc``: only the services, against a chain where the protocol is deployed (no Anvil, no
agents).
"""

from __future__ import annotations

import shutil
import sys
import time
import urllib.request
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from web3 import Web3

from optio.cli.demo.supervisor import Supervisor
from optio.cli.render import console
from optio.formats.guardian_decisions import decisions_file, read_decisions
from optio.formats.keeper_health import keeper_counts
from optio.sdk.admin import NotReady, Timelock, schedule_and_execute
from optio.sdk.chain import LOCAL_CHAIN_IDS, LocalSigner, dev_account
from optio.sdk.contracts import Client
from optio.sdk.deploy import WBTC_MARKET, deploy_protocol
from optio.sdk.deployment import Deployment, save_deployment
from optio.sdk.errors import ContractRevert, InvalidInput
from optio.sdk.localchain import free_port, local_chain, mine_on_interval, port_in_use
from optio.sdk.protocol import Protocol
from optio.sim.backtest.agents import Roster, board_strikes
from optio.sim.backtest.driver import ASSET, VAULTS
from optio.sim.backtest.onchain import ChainProtocol
from optio.sim.backtest.result import Result
from optio.sim.backtest.scenario import DAY, HOUR, Scenario
from optio.sim.backtest.users import Users

KEEPERS = ("oracle", "vol", "liquidator", "settler", "guardian")
#: The second market (WBTC/USDC): one keeper process per market (docs/keepers.md), each with its
#: own account; here its oracle keeper (spot and fills), which the risk service's markets line shows.
SECOND_MARKET = WBTC_MARKET.name
SECOND_KEEPERS = {"oracle-wbtc": "oracle"}


@dataclass
class SystemOptions:
    minutes: float = 2.0  # of agents' activity (wall clock)
    block_s: int = 1800  # chain seconds per 1-second block
    forever: bool = False
    rpc: str | None = None
    deployment: Path | None = None
    port: int = 8545
    run_dir: Path = Path(".demo")
    dashboard_port: int = 8600  # a free one if taken
    scenario: Scenario = field(default_factory=lambda: Scenario(trade_prob=0.08, seller_margin_usdc=6000,
                                                                seller_margin_weth=2, lp_move_prob=0.02))


# --- the services ------------------------------------------------------------------------------

def keeper_tables(seed: int, snapshots: Path, block_s: int) -> dict[str, str]:
    """Each keeper's own TOML table for the demo's chain (``block_s`` of chain time per block:
    the vol keeper leaves a board alone once its expiry is within three blocks: a post mined two
    blocks late on a loaded machine still lands before it. Within two, a post sent exactly two
    blocks out and mined a block late landed at the expiry and reverted ExpiryNotInFuture, on
    CI)."""
    return {
        "oracle": f"deviation = 0.002\nheartbeat_s = 900\n[[oracle.sources]]\nkind = \"gbm\"\nseed = {seed}\n"
                  "s0 = 3000.0\nvol = 0.8\njumps_per_day = 2.0\njump_size = 0.02\n",
        "vol": f"source = \"files\"\nsnapshots = \"{snapshots.absolute()}\"\nthreshold = 0.01\nheartbeat_s = 900\n"
               f"min_tenor_s = {max(60, 3 * block_s + 1)}\nblock_s = {block_s}\n",  # min_tenor_s: at least 60 s
        "liquidator": "gas_margin = 0.0\n",
        "settler": "",
        # A block is `block_s` of chain time: the feeds post every block, so three blocks without a
        # post is a stalled keeper.
        "guardian": f"max_oracle_age_s = {3 * block_s}\nmax_surface_age_s = {4 * block_s}\nmax_utilisation = 0.9\n"
                    f"max_vol_jump = 0.5\nvol_jump_window_s = {6 * block_s}\nhysteresis = 0.2\n",
    }


def write_keeper_config(run_dir: Path, name: str, rpc: str, manifest: Path, key: str, table: str,
                        metrics_port: int | None = None, interval_s: float = 0.5, *, market: str | None = None,
                        stem: str | None = None) -> Path:
    """``<run_dir>/<stem or name>.toml`` for ``python -m optio.keepers NAME``: ``key`` is the body
    of the ``[runtime.key]`` table, ``table`` of the keeper's own; ``market`` the deployment's
    market it serves (default: the first)."""
    path = run_dir / f"{stem or name}.toml"
    metrics = "" if metrics_port is None else f"metrics_port = {metrics_port}\n"
    if market is not None:
        metrics += f'market = "{market}"\n'
    name_dir = stem or name
    path.write_text(f"""[runtime]
rpc_urls = ["{rpc}"]
deployment = "{manifest.absolute()}"
state_dir = "{(run_dir / 'state' / name_dir).absolute()}"
interval_s = {interval_s}
confirmations = 0
{metrics}
[runtime.key]
{key}

[{name}]
{table}""")
    return path


def start_services(sup: Supervisor, rpc: str, manifest: Path, keys: dict[str, str], seed: int,
                   block_s: int = 12, dashboard_port: int = 8600) -> tuple[dict[str, int], str]:
    """The feed, the keepers and the risk service; returns each keeper's metrics port and the
    dashboard's URL (``dashboard_port``, or a free port if it is taken)."""
    snapshots = sup.run_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)  # the vol keeper checks its folder at start-up
    sup.start("feed", [sys.executable, "-m", "optio.sim.feed", "--rpc", rpc, "--deployment", str(manifest),
                       "--out", str(snapshots), "--seed", str(seed)])
    ports = {}
    for name, table in keeper_tables(seed, snapshots, block_s).items():
        ports[name] = free_port()
        config = write_keeper_config(sup.run_dir, name, rpc, manifest, keys[name], table, ports[name])
        sup.start(name, [sys.executable, "-m", "optio.keepers", name, "--config", str(config)])
    port = free_port() if dashboard_port == 0 or port_in_use(dashboard_port) else dashboard_port
    decisions = decisions_file(sup.run_dir / "state" / "guardian")
    sup.start("risk", [sys.executable, "-m", "optio.risk", "--rpc", rpc, "--deployment", str(manifest),
                       "--port", str(port),
                       "--decisions", str(decisions), "--snapshots", str(snapshots),
                       *(f"--keeper={name}=http://127.0.0.1:{p}" for name, p in ports.items())])
    return ports, f"http://127.0.0.1:{port}/"


def start_second_market(sup: Supervisor, rpc: str, manifest: Path, keys: dict[str, str], seed: int) -> dict[str, int]:
    """The WBTC/USDC market's oracle keeper: a process of its own (``runtime.market``), a BTC-like
    path from its own seed; returns its metrics port."""
    table = (f"deviation = 0.002\nheartbeat_s = 900\n[[oracle.sources]]\nkind = \"gbm\"\nseed = {seed + 1}\n"
             "s0 = 60000.0\nvol = 0.6\n")
    ports = {}
    for stem, keeper in SECOND_KEEPERS.items():
        ports[stem] = free_port()
        config = write_keeper_config(sup.run_dir, keeper, rpc, manifest, keys[stem], table, ports[stem],
                                     market=SECOND_MARKET, stem=stem)
        sup.start(stem, [sys.executable, "-m", "optio.keepers", keeper, "--config", str(config)])
    return ports


def wait_for_dashboard(sup: Supervisor, url: str, timeout: float = 30.0) -> None:
    """Until the risk service answers (its first refresh done), or ``InvalidInput``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sup.require_running()
        try:
            urllib.request.urlopen(url + "healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise InvalidInput(f"the risk service did not answer on {url} within {timeout:.0f} s (see its log)")


# --- the demo ------------------------------------------------------------------------------------

@dataclass
class Demo:
    """The running local system: chain, deployment, agents and their books."""

    w3: Web3
    protocol: Protocol
    users: Users
    result: Result
    lister: LocalSigner  # dev account 0: the deployer holds the lister role
    boards: dict[int, list[Decimal]] = field(default_factory=dict)


def roles_for_keepers(w3: Web3, deployment: Deployment, admin: LocalSigner, accounts: dict[str, str]) -> None:
    """Each keeper signs with its own account (no two processes share a nonce): the oracle (spot,
    lister and both vaults' filler), vol and guardian keepers get their roles from the admin,
    through the deployment's timelock (a zero delay on the simulation's own deployments; with a
    delay, ``NotReady`` says when)."""
    timelock = Timelock(w3, deployment.address("Timelock"))
    for key, artifact, role, keeper in (("SpotOracle", "SpotOracle", "KEEPER_ROLE", "oracle"),
                                        ("SpotOracle", "SpotOracle", "LISTER_ROLE", "oracle"),
                                        ("CallVault", "OptioVault", "FILLER_ROLE", "oracle"),
                                        ("PutVault", "OptioVault", "FILLER_ROLE", "oracle"),
                                        ("VolOracle", "VolOracle", "VOL_KEEPER_ROLE", "vol"),
                                        ("OptionMarket", "OptionMarket", "GUARDIAN_ROLE", "guardian")):
        account = accounts.get(keeper)
        if account is None:  # a market served by fewer keepers (the demo's second market)
            continue
        client = Client(w3, deployment.address(key), artifact_name=artifact)
        if not client.has_role(role, account):
            try:
                schedule_and_execute(admin, client, "grantRole", client.role_id(role), account, timelock=timelock)
            except NotReady as err:
                raise InvalidInput(f"{err}: the services need their keeper roles at once; on a local chain deploy "
                                   "with `optio deploy --timelock-delay 0`") from None


def list_due_boards(demo: Demo, scenario: Scenario, t: int, spot: float, block_s: int) -> None:
    """A board for each daily 08:00 UTC expiry in the next two days that is not listed yet.

    Only an expiry that is still beyond the trading cutoff when the listing is mined: a block or
    two later, each ``block_s`` of chain time (a fixed margin failed whenever the wall clock put
    an expiry within a block of the cutoff).
    """
    first = t - t % DAY + 8 * HOUR
    for expiry in (first + i * DAY for i in range(3)):
        if t + scenario.trading_cutoff_s + 3 * block_s < expiry <= t + 2 * DAY and expiry not in demo.boards:
            strikes = board_strikes(scenario, spot)
            demo.protocol.market.list_strikes(demo.lister, expiry, strikes)
            demo.boards[expiry] = strikes


def tradable(demo: Demo, t: int, block_s: int, cutoff: int) -> list[tuple[int, list[Decimal]]]:
    """Boards open for trading for a few more blocks, whose surface is posted and fresh."""
    out = []
    for expiry, strikes in sorted(demo.boards.items()):
        if expiry - cutoff - 3 * block_s <= t:
            continue
        if not demo.protocol.vol_oracle.surface(expiry).fresh:
            continue
        out.append((expiry, strikes))
    return out


def summary(demo: Demo, deploy_block: int, metrics: dict[str, dict[str, float]]) -> tuple[Table, Table, Table]:
    market, margin = demo.protocol.market.contract, demo.protocol.margin.contract
    views = demo.users.d.vaults()
    vaults = Table(title="Vaults")
    for col in ("vault", "NAV", "share price", "fees earned", "LP P&L", "deposits", "withdrawals"):
        vaults.add_column(col, justify="right")
    for vault in VAULTS:
        lg, v = demo.result.ledger[vault], views[vault]
        vaults.add_row(f"{vault} ({ASSET[vault]})", f"{v.nav:,.4f}", f"{v.share_price:.6f}", f"{lg.fees:,.4f}",
                       f"{v.nav - lg.deposits + lg.withdrawals:+,.4f}", f"{lg.deposits:,.2f}", f"{lg.withdrawals:,.4f}")
    activity = Table(title="Activity on the chain")
    activity.add_column("what")
    activity.add_column("count", justify="right")
    events = {"trades": market.events.Traded, "board settlements": market.events.BoardSettled,
              "exercises paid": market.events.Exercised, "liquidations": margin.events.Liquidated,
              "margin shorts settled": margin.events.ShortSettled}
    for what, event in events.items():
        activity.add_row(what, str(len(event().get_logs(from_block=deploy_block))))
    refused = ", ".join(f"{k} {v}" for k, v in demo.result.rejected.items())
    activity.add_row("trades refused (by reason)", refused or "0")
    keepers = Table(title="Keepers")
    for col in ("keeper", "mined", "reverted", "refused in simulation", "cycle errors"):
        keepers.add_column(col, justify="right")
    for name, m in metrics.items():
        errors = sum(v for k, v in m.items() if k.startswith("cycle_errors"))
        keepers.add_row(name, *(f"{m.get(f'tx_attempts:{o}', 0):.0f}" for o in ("mined", "reverted", "simulation")),
                        f"{errors:.0f}")
    return vaults, activity, keepers


def run_local(opts: SystemOptions) -> None:
    s = opts.scenario
    roster = Roster.of(s)
    keeper_index = {name: roster.size + i for i, name in enumerate((*KEEPERS, *SECOND_KEEPERS))}
    run_dir = opts.run_dir
    shutil.rmtree(run_dir, ignore_errors=True)
    sup = Supervisor(run_dir)
    started = time.monotonic()
    console.print(f"Starting Anvil on 127.0.0.1:{opts.port} (logs and configs in {run_dir}/) …")
    args = ["--accounts", str(roster.size + len(keeper_index))]
    with local_chain("anvil", opts.port, extra_args=args, log=run_dir / "logs" / "anvil.log") as chain:
        w3 = chain.w3
        admin = LocalSigner(dev_account(0))
        deployment = deploy_protocol(w3, admin, replace(s.deploy_config(), extra_markets=(WBTC_MARKET,)), save=False)
        manifest = save_deployment(deployment, run_dir / "deployment.json")
        roles_for_keepers(w3, deployment, admin, {k: dev_account(i).address for k, i in keeper_index.items()})
        second = {SECOND_KEEPERS[stem]: dev_account(keeper_index[stem]).address for stem in SECOND_KEEPERS}
        roles_for_keepers(w3, deployment.for_market(SECOND_MARKET), admin, second)
        driver = ChainProtocol(s, w3, roster.size, deployment, keeper_fills=False)  # the oracle keeper fills
        result = Result(s, "system")
        demo = Demo(w3, Protocol(w3, deployment), Users(s, driver, roster, result), result, admin)
        demo.users.open_accounts()
        console.print(f"  deployed {', '.join(deployment.market_names())} ({len(deployment.all_contracts())} "
                      f"contracts), {len(roster.lps)} LPs deposited, "
                      f"{len(roster.sellers)} sellers posted margin, {len(roster.buyers)} buyers funded")
        # From here on the chain has a block time: 1 s blocks, each `block_s` of chain time.
        mine_on_interval(w3, every_s=1, timestamp_step_s=opts.block_s)
        keys = {name: f"kind = \"dev\"\nindex = {i}" for name, i in keeper_index.items()}
        try:
            ports, dashboard = start_services(sup, chain.url, manifest, keys, s.seed, opts.block_s,
                                              opts.dashboard_port)
            ports |= start_second_market(sup, chain.url, manifest, keys, s.seed)
            for svc in sup.services:
                console.print(f"  started {svc.name:<10} pid {svc.process.pid}")
            wait_for_dashboard(sup, dashboard)
            console.print(f"[bold]Risk dashboard: {dashboard}[/]  (JSON {dashboard}api/state, "
                          f"metrics {dashboard}metrics)")
            _agents_loop(demo, sup, opts)
        except KeyboardInterrupt:
            console.print("[yellow]Ctrl-C: stopping the services[/]")
        finally:
            metrics = {name: keeper_counts(f"http://127.0.0.1:{port}")
                       for name, port in locals().get("ports", {}).items()}
            decisions = _guardian_decisions(run_dir)
            # Read while the keepers still post: chain time runs on after they stop, and spot goes stale.
            markets = "; ".join(_market_line(name, p) for name, p in demo.protocol.markets().items())
            sup.stop_all()
        for table in summary(demo, deployment.deploy_block, metrics):
            console.print(table)
        console.print(f"Guardian decisions: {', '.join(decisions) or 'none'}")
        console.print(f"Markets: {markets}")
    console.print(f"Stopped every service and Anvil. The demo took {time.monotonic() - started:.0f} s.")


def _market_line(name: str, protocol: Protocol) -> str:
    """``NAME spot P`` (or how stale it is), and whether paused, of one market, from the chain."""
    feed = protocol.spot_oracle.feed()
    if feed.value is not None:
        spot = f"spot {feed.value:,.2f}"
    elif feed.updated_at is not None:
        spot = f"spot stale (posted {protocol.w3.eth.get_block('latest')['timestamp'] - feed.updated_at} s ago)"
    else:
        spot = "no spot posted"
    return f"{name} {spot}{', paused' if protocol.market.paused() else ''}"


def _guardian_decisions(run_dir: Path) -> list[str]:
    """``action (reason)`` of each decision the guardian logged."""
    return [f"{d['action']} ({d['reason']})" for d in read_decisions(decisions_file(run_dir / "state" / "guardian"))]


def _agents_loop(demo: Demo, sup: Supervisor, opts: SystemOptions) -> None:
    s, w3 = opts.scenario, demo.w3
    total = None if opts.forever else opts.minutes * 60
    deadline = time.monotonic() + (total or 0)
    last_block, step = w3.eth.block_number, 0
    columns = (TextColumn("[bold]agents"), BarColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("agents", total=total, status="waiting for the first price and surface")
        while opts.forever or time.monotonic() < deadline:
            sup.require_running()
            head = w3.eth.get_block("latest")
            if head["number"] == last_block:
                time.sleep(0.1)
                continue
            last_block, t = head["number"], head["timestamp"]
            try:
                spot = float(demo.protocol.spot_oracle.latest_price()[0])
            except ContractRevert:
                continue  # no fresh price yet: the oracle keeper is starting
            list_due_boards(demo, s, t, spot, opts.block_s)
            for expiry in [e for e in demo.boards if e <= t]:
                demo.users.forget(expiry)
                del demo.boards[expiry]
            open_boards = tradable(demo, t, opts.block_s, s.trading_cutoff_s)
            if open_boards:
                step += 1
                demo.users.act(step, spot, open_boards)
            trades = sum(v for k, v in demo.result.counts.items() if k.startswith("trades:"))
            status = (f"block {last_block} · {time.strftime('%a %d %b %H:%M', time.gmtime(t))} · spot {spot:,.2f} · "
                      f"{len(open_boards)} boards · {trades} trades")
            bar.update(task, completed=None if total is None else total - max(deadline - time.monotonic(), 0),
                       status=status)


def run_services(opts: SystemOptions) -> None:
    """Only the services (feed and keepers) against ``opts.rpc`` with ``opts.deployment``; until
    Ctrl-C. On a local chain the keepers sign with dev accounts (the oracle and vol keepers get
    their roles from dev account 0, the default deployer); elsewhere from keystores named
    ``<keeper>.json`` in ``<run dir>/keys`` with the password in ``OPTIO_KEEPER_PASSWORD``."""
    from optio.sdk.chain import connect

    if opts.deployment is None or not opts.deployment.is_file():
        raise InvalidInput(f"--deployment {opts.deployment}: give the deployment manifest (JSON) of that chain")
    w3 = connect(opts.rpc)
    deployment = Deployment.model_validate_json(opts.deployment.read_text())
    if deployment.chain_id != w3.eth.chain_id:
        raise InvalidInput(f"{opts.deployment} is for chain {deployment.chain_id}, but {opts.rpc} is chain "
                           f"{w3.eth.chain_id}")
    sup = Supervisor(opts.run_dir)
    if w3.eth.chain_id in LOCAL_CHAIN_IDS:
        index = {name: 20 + i for i, name in enumerate((*KEEPERS, *SECOND_KEEPERS))}
        roles_for_keepers(w3, deployment, LocalSigner(dev_account(0)), {k: dev_account(i).address
                                                                        for k, i in index.items()})
        if SECOND_MARKET in deployment.markets:
            roles_for_keepers(w3, deployment.for_market(SECOND_MARKET), LocalSigner(dev_account(0)),
                              {SECOND_KEEPERS[k]: dev_account(index[k]).address for k in SECOND_KEEPERS})
        keys = {name: f"kind = \"dev\"\nindex = {i}" for name, i in index.items()}
    else:
        keys = {name: f"kind = \"keystore\"\npath = \"{opts.run_dir / 'keys' / f'{name}.json'}\"\n"
                      "password_env = \"OPTIO_KEEPER_PASSWORD\"" for name in (*KEEPERS, *SECOND_KEEPERS)}
    try:
        _, dashboard = start_services(sup, opts.rpc, opts.deployment.resolve(), keys, opts.scenario.seed,
                                      dashboard_port=opts.dashboard_port)
        if SECOND_MARKET in deployment.markets:
            start_second_market(sup, opts.rpc, opts.deployment.resolve(), keys, opts.scenario.seed)
        for svc in sup.services:
            console.print(f"  started {svc.name:<10} pid {svc.process.pid} (log {svc.log})")
        wait_for_dashboard(sup, dashboard)
        console.print(f"[bold]Risk dashboard: {dashboard}[/]")
        console.print("Services running; Ctrl-C stops them.")
        while True:
            sup.require_running()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("[yellow]Ctrl-C: stopping the services[/]")
    finally:
        sup.stop_all()
