// The risk dashboard: polls /api/state and /api/history every second and redraws.
// Sets document.body.dataset.ready = "1" (and window.optioReadyMs) after the first render
// with data, which the browser tests and benchmarks.risk wait for.
"use strict";

const POLL_MS = 1000;
const PLOT = { responsive: true, displayModeBar: false };
const LAYOUT = {
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#e6e9ef", size: 11 },
  margin: { l: 60, r: 15, t: 10, b: 40 }, legend: { orientation: "h", y: -0.2 },
  xaxis: { gridcolor: "#26304a", zerolinecolor: "#3a4563" }, yaxis: { gridcolor: "#26304a", zerolinecolor: "#3a4563" },
};
const axes = (x, y) => ({ xaxis: { ...LAYOUT.xaxis, ...x }, yaxis: { ...LAYOUT.yaxis, ...y } });
const hasPlotly = typeof Plotly !== "undefined";

const $ = (id) => document.getElementById(id);
const num = (x, d = 2) => (x === null || x === undefined ? "–" :
  Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const pct = (x, d = 1) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(d)}%`);
const date = (t) => (t ? new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) : "–");
const short = (a) => (a ? `${a.slice(0, 6)}…${a.slice(-4)}` : "");
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

function table(id, head, rows, empty = "none yet") {
  const body = rows.length ? rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${head.length}" class="muted">${empty}</td></tr>`;
  $(id).innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>${body}`;
}

function badge(id, ok, yes, no) {
  const el = $(id);
  el.textContent = ok ? yes : no;
  el.className = `badge ${ok ? "ok" : "warn"}`;
}

function header(s) {
  $("chain-id").textContent = s.chain.chain_id;
  $("block").textContent = s.chain.block;
  $("chain-time").textContent = date(s.chain.timestamp);
  $("spot").textContent = num(s.spot.price);
  badge("spot-fresh", s.spot.fresh, `fresh · ${s.spot.age_s}s`, s.spot.age_s === null ? "no price" : `stale · ${s.spot.age_s}s`);
  badge("market-status", !s.paused, "open", "paused");
  $("refreshed").textContent = new Date(s.refreshed_at * 1000).toLocaleTimeString();
}

function markets(s) {
  const c = s.consolidated;
  $("market-name").textContent = s.market || "–";
  const rows = s.markets.map((m) => [
    m.market === s.market ? `<b>${esc(m.market)}</b>` : esc(m.market),
    `${num(m.spot)} ${m.spot_fresh ? "" : '<i class="badge warn">stale</i>'}`,
    m.paused ? '<i class="badge warn">paused</i>' : '<i class="badge ok">open</i>',
    num(m.call_nav, 4), num(m.put_nav, 2), num(m.nav_quote, 0)]);
  rows.push(["<b>all markets</b>", `${c.stale_spot} stale`, `${c.paused} paused`, "", "", `<b>${num(c.nav_quote, 0)}</b>`]);
  table("markets", ["market", "spot", "state", "call NAV (base)", "put NAV (quote)", "NAV (quote)"], rows);
}

function vaults(s) {
  $("vaults").innerHTML = Object.entries(s.vaults).map(([side, v]) => `
    <div class="card" id="vault-${side}"><h2>${side} vault (${esc(v.asset)}) ${v.paused ? '<i class="badge warn">deposits paused</i>' : ""}</h2>
      <dl>
        <div><dt>NAV</dt><dd id="nav-${side}">${num(v.nav, 4)}</dd></div>
        <div><dt>share price</dt><dd id="share-${side}">${num(v.share_price, 6)}</dd></div>
        <div><dt>utilisation</dt><dd id="util-${side}">${pct(v.utilisation)}</dd></div>
        <div><dt>locked</dt><dd>${num(v.locked, 4)}</dd></div>
        <div><dt>free</dt><dd>${num(v.free, 4)}</dd></div>
        <div><dt>shares</dt><dd>${num(v.shares, 4)}</dd></div>
      </dl></div>`).join("");
}

function exposure(s) {
  const r = s.risk;
  if (!r) { table("exposure", ["vault"], [], "no spot price yet"); return; }
  table("exposure", ["vault", "value", "delta", "gamma/1%", "vega/pt", "theta/day", "VaR", "ES"],
    ["call", "put", "all"].map((v) => {
      const t = r.vaults[v];
      return [v, num(t.value), num(t.delta, 4), num(t.gamma_1pct, 4), num(t.vega_pt), num(t.theta_day),
        `<span id="var-${v}">${num(t.var)}</span>`, num(t.expected_shortfall)];
    }));
  $("var-method").textContent = `${r.positions} open positions of ${r.accounts} accounts. VaR and ES: ${r.var_method || "no live options"}.` +
    (r.unpriced_expiries.length ? ` Not priced (no fresh surface): ${r.unpriced_expiries.map(date).join(", ")}.` : "");
  table("buckets", ["vault", "expiry", "strike", "position", "vol", "value", "delta", "vega/pt", "theta/day"],
    r.buckets.map((b) => [b.vault, date(b.expiry), num(b.strike, 0), num(b.position, 4), pct(b.vol),
      num(b.value), num(b.delta, 4), num(b.vega_pt), num(b.theta_day)]), "the vaults hold no live option");
  if (hasPlotly) {
    Plotly.react("scenario", [{ type: "heatmap", z: r.grid.all, x: r.grid.vol_shocks.map((v) => `${v > 0 ? "+" : ""}${Math.round(100 * v)} vol`),
      y: r.grid.spot_shocks.map((v) => `${v > 0 ? "+" : ""}${Math.round(100 * v)}%`), colorscale: "RdBu", reversescale: true, zmid: 0 }],
      { ...LAYOUT, ...axes({ title: "vol shock", type: "category" }, { title: "spot shock", type: "category" }) }, PLOT);
  }
}

function surfaces(s) {
  if (!hasPlotly) return;
  const live = s.surfaces.filter((x) => x.vols);
  const k = live.length ? live[0].k : [];
  Plotly.react("surface", [{ type: "heatmap", z: live.map((x) => x.vols.map((v) => 100 * v)), x: k.map((v) => v.toFixed(2)),
    y: live.map((x) => date(x.expiry).slice(5)), colorscale: "Viridis", colorbar: { title: "vol %" } }],
    { ...LAYOUT, ...axes({ title: "log-moneyness ln(K/S)" }, { type: "category" }) }, PLOT);
  const traces = [];
  live.forEach((x, i) => {
    const name = date(x.expiry).slice(5);
    traces.push({ x: x.k, y: x.vols.map((v) => 100 * v), mode: "lines", name: `SVI ${name}`, legendgroup: i });
    if (x.trades.length) traces.push({ x: x.trades.map((p) => p.k), y: x.trades.map((p) => 100 * p.vol), mode: "markers",
      name: `traded ${name}`, legendgroup: i, marker: { symbol: "circle", size: 7 } });
    if (x.market.length) traces.push({ x: x.market.map((p) => p.k), y: x.market.map((p) => 100 * p.vol), mode: "markers",
      name: `venue ${x.market_tenor_days.toFixed(1)}d`, legendgroup: i, marker: { symbol: "x", size: 6 } });
  });
  Plotly.react("smiles", traces, { ...LAYOUT, ...axes({ title: "ln(K/S)" }, { title: "vol %" }) }, PLOT);
}

function history(h) {
  if (!hasPlotly || !h.length) return;
  const t = h.map((p) => new Date(p.t * 1000));
  Plotly.react("nav", [
    { x: t, y: h.map((p) => p.call_nav), name: "call vault (WETH)", yaxis: "y" },
    { x: t, y: h.map((p) => p.put_nav), name: "put vault (USDC)", yaxis: "y2" }],
    { ...LAYOUT, ...axes({}, { title: "WETH", tickformat: ",.2f" }),
      yaxis2: { title: "USDC", overlaying: "y", side: "right", showgrid: false, tickformat: ",.0f" } }, PLOT);
  Plotly.react("share", [
    { x: t, y: h.map((p) => p.call_share_price), name: "call vault" },
    { x: t, y: h.map((p) => p.put_share_price), name: "put vault" }], { ...LAYOUT, ...axes({}, { title: "assets per share" }) }, PLOT);
}

function health(s) {
  const rows = [["spot oracle", s.spot.fresh ? '<span class="ok">fresh</span>' : '<span class="warn">stale</span>',
    s.spot.age_s === null ? "never posted" : `${s.spot.age_s} s ago (chain)`, ""]];
  s.surfaces.forEach((x) => rows.push([`surface ${date(x.expiry)}`, x.fresh ? '<span class="ok">fresh</span>' : '<span class="warn">stale</span>',
    x.age_s === null ? "never posted" : `${x.age_s} s ago`, x.atm_vol === null ? "" : `ATM ${pct(x.atm_vol)}`]));
  Object.entries(s.keepers).forEach(([name, k]) => rows.push([`keeper ${esc(name)}`,
    k.healthy ? '<span class="ok">healthy</span>' : `<span class="warn">${esc(k.reason || "down")}</span>`,
    k.last_cycle_age_s === null ? "no cycle" : `cycle ${k.last_cycle_age_s.toFixed(1)} s ago`,
    `${k.mined} mined · ${k.reverted} reverted · ${k.cycle_errors} errors`]));
  table("keepers", ["what", "state", "last", "transactions"], rows);
  table("at-risk", ["account", "side", "collateral", "required", "ratio"], s.accounts_at_risk.map((a) => [
    short(a.account), a.side, `${num(a.collateral, 4)} ${esc(a.token)}`, `${num(a.required, 4)} ${esc(a.token)}`,
    `<span class="${a.ratio < 1 ? "warn" : a.ratio < 1.2 ? "" : "ok"}">${num(a.ratio, 3)}</span>`]), "no margin shorts");
}

function feed(s) {
  table("activity", ["when", "event", "what", "who", "amount"], s.activity.map((a) => {
    const what = a.event === "Traded" ? `${a.kind} ${esc(a.option)}` : a.event === "BoardSettled" ? `expiry ${date(a.expiry)} at ${num(a.price)}` : esc(a.option || "");
    const amount = a.premium !== undefined ? `${num(a.amount, 3)} for ${num(a.premium, 4)} ${a.token}`
      : a.payout !== undefined ? `${num(a.amount, 3)} paid ${num(a.payout, 4)} ${a.token}`
      : a.bonus !== undefined ? `${num(a.amount, 3)} bonus ${num(a.bonus, 4)} ${a.token}` : "";
    return [date(a.timestamp), a.event, what, short(a.who), amount];
  }));
  table("decisions", ["when", "action", "why", "numbers"], s.decisions.map((d) => [date(d.chain_time), esc(d.action),
    esc(d.reason), esc(Object.entries(d.measured || {}).map(([k, v]) => `${k} ${typeof v === "number" ? v.toPrecision(4) : v}`).join(" · "))]),
    "no decision yet");
}

async function poll() {
  try {
    const [state, hist] = await Promise.all([fetch("/api/state").then((r) => r.json()), fetch("/api/history").then((r) => r.json())]);
    if (state.chain) {
      header(state); markets(state); vaults(state); exposure(state); surfaces(state); history(hist); health(state); feed(state);
      $("status").textContent = `service: refresh ${num(state.refresh_ms, 0)} ms · ${state.service.errors} errors${state.service.last_error ? " · " + state.service.last_error : ""}`;
      if (!document.body.dataset.ready) { window.optioReadyMs = performance.now(); document.body.dataset.ready = "1"; }
    } else {
      $("status").textContent = "waiting for the first refresh…";
    }
  } catch (err) {
    $("status").textContent = `cannot reach the risk service: ${err}`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
