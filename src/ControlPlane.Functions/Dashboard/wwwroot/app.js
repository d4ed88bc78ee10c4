// ControlPlane dashboard: plain DOM and SVG, no framework and nothing fetched from elsewhere, so it loads fast and
// works where the browser has no internet. Every number comes from the API with the signed-in key; what a key may
// not see is refused by the API, and the page says so instead of guessing.
"use strict";

const KEY = "controlplane.key";
const $ = (id) => document.getElementById(id);
const palette = ["#2f6fed", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const fine = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 6 });
const count = new Intl.NumberFormat("en-US");
const state = { me: null, filters: [], breakdownNext: null, callsQuery: null, callsNext: null };
// The views' current question. A new range, grouping or filter aborts the queries of the one before, so a slow answer
// to an old question can never be drawn over the answer to the new one.
let view = new AbortController();

function usd(value) { const n = Number(value); return Math.abs(n) > 0 && Math.abs(n) < 0.01 ? fine.format(n) : money.format(n); }

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    // Styles through the CSSOM: the page's Content-Security-Policy refuses style attributes, not style properties.
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v); else if (k === "class") el.className = v; else if (k === "style") el.style.cssText = v; else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && (problem.detail ? `${problem.title} (${problem.detail})` : problem.title) || `HTTP ${status}`);
    this.status = status; this.code = problem && problem.code;
  }
}

async function api(path, options = {}) {
  const headers = { "x-api-key": sessionStorage.getItem(KEY) || "", ...(options.headers || {}) };
  if (options.body) headers["content-type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not a problem document */ }
    throw new ApiError(response.status, problem);
  }
  return options.raw ? response : response.json();
}

function showMessage(error) {
  const el = $("message");
  if (!error) { el.hidden = true; return; }
  el.textContent = error.code ? `${error.message} [${error.code}]` : error.message;
  el.hidden = false;
}

// ---- The question every view asks: range, grouping, bucket and filters, as API query parameters. ----

function utcDay(d) { return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())); }
function addDays(d, n) { return new Date(d.getTime() + n * 86400000); }
function iso(d) { return d.toISOString().replace(/\.\d{3}Z$/, "Z"); }

function range() {
  const now = new Date();
  const endOfHour = new Date(Math.ceil(now.getTime() / 3600000) * 3600000);
  const today = utcDay(now);
  switch ($("range").value) {
    case "1d": return { from: new Date(endOfHour.getTime() - 86400000), to: endOfHour };
    case "7d": return { from: addDays(today, -6), to: endOfHour };
    case "mtd": return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), to: endOfHour };
    case "lastmonth": return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)), to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) };
    case "90d": return { from: addDays(today, -89), to: endOfHour };
    case "365d": return { from: addDays(today, -364), to: endOfHour };
    case "custom": {
      const from = $("from").value ? new Date($("from").value + "T00:00:00Z") : addDays(today, -29);
      const to = $("to").value ? addDays(new Date($("to").value + "T00:00:00Z"), 1) : endOfHour;
      return { from, to };
    }
    default: return { from: addDays(today, -29), to: endOfHour };
  }
}

function bucket(r) {
  const chosen = $("bucket").value;
  if (chosen !== "auto") return chosen;
  const days = (r.to - r.from) / 86400000;
  return days <= 2 ? "hour" : days <= 92 ? "day" : days <= 200 ? "week" : "month";
}

function dimension() {
  const dim = $("group-by").value;
  return dim === "tag" ? `tag:${($("tag-name").value || "project").trim()}` : dim;
}

function params(extra = {}, r = range()) {
  const p = new URLSearchParams({ from: iso(r.from), to: iso(r.to) });
  for (const f of state.filters) p.append(f.name, f.value);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

// ---- Sign in ----

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    state.me = await api("/api/me");
  } catch (error) {
    sessionStorage.removeItem(KEY);
    throw error;
  }
  $("who").textContent = state.me.role === "ingest" ? `ingest key · teams ${state.me.teams.join(", ")}` : `${state.me.role} key`;
  $("who").hidden = false; $("sign-out").hidden = false;
  $("sign-in-view").hidden = true; $("app").hidden = false;
  document.querySelectorAll(".admin-only").forEach((el) => { el.hidden = state.me.role !== "admin"; });
  await refresh();
}

function signOut() {
  sessionStorage.removeItem(KEY);
  location.reload();
}

// ---- Views ----

async function refresh() {
  view.abort();
  view = new AbortController();
  const signal = view.signal;
  showMessage(null);
  // The chart and the overview first, alone: every view is a rollup query, and ten at once would make the first
  // chart wait for all of them. The rest follow as soon as the chart is drawn.
  const first = await Promise.allSettled([chart(signal), overview(signal)]);
  if (signal.aborted) return;
  const rest = await Promise.allSettled([breakdown(signal), tops(signal), budgets(), savings(signal), gpu(), findings()]);
  if (signal.aborted) return;
  const failed = [...first, ...rest].find((r) => r.status === "rejected");
  if (failed) showMessage(failed.reason);
}

async function overview(signal) {
  const now = new Date();
  const today = utcDay(now);
  const weekStart = addDays(today, -((today.getUTCDay() + 6) % 7));
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const from = weekStart < monthStart ? weekStart : monthStart;
  const answer = await api(`/api/costs?${params({ groupBy: "day", limit: "1000" }, { from, to: addDays(today, 1) })}`, { signal });
  const sum = (start) => answer.groups.filter((g) => new Date(g.key + "T00:00:00Z") >= start).reduce((s, g) => s + Number(g.costUsd), 0);
  const month = sum(monthStart);
  $("spend-today").textContent = usd(sum(today));
  $("spend-week").textContent = usd(sum(weekStart));
  $("spend-month").textContent = usd(month);
  const elapsed = Math.max(1, (now - monthStart) / 3600000);
  $("spend-forecast").textContent = usd(month / elapsed * ((monthEnd - monthStart) / 3600000));
  $("forecast-hint").textContent = "this month's spend so far, at its hourly rate to month end";
}

async function chart(signal) {
  const r = range();
  const b = bucket(r);
  const dim = dimension();
  const answer = await api(`/api/costs?${params({ groupBy: `${dim},${b}`, limit: "8" }, r)}`, { signal });
  $("chart-title").textContent = `Cost per ${b}, by ${dim}`;
  const series = new Map();
  for (const g of answer.groups) {
    const [name, at] = g.keys;
    if (!series.has(name)) series.set(name, []);
    series.get(name).push({ at, cost: Number(g.costUsd), group: g });
  }
  drawStacked($("chart"), $("legend"), [...series.entries()], answer, dim, b);
}

function drawStacked(host, legend, series, answer, dim, b) {
  host.replaceChildren(); legend.replaceChildren();
  if (series.length === 0) {
    host.append(h("p", { class: "empty" }, "No spend in this range."));
    return;
  }
  const buckets = series[0][1].map((p) => p.at);
  const totals = buckets.map((_, i) => series.reduce((s, [, points]) => s + points[i].cost, 0));
  const max = Math.max(...totals, 0) || 1;
  const W = 900, H = 280, left = 64, bottom = 26, top = 10;
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Cost per ${b} by ${dim}`, id: "chart-svg" });
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  for (let t = 0; t <= 4; t++) {
    const v = max * t / 4;
    plot.append(svg("line", { x1: left, x2: W, y1: y(v), y2: y(v), stroke: "#e3e7ef" }));
    const label = svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5c667a" });
    label.textContent = usd(v);
    plot.append(label);
  }
  const slot = (W - left) / buckets.length;
  const width = Math.max(1, slot * 0.78);
  const step = Math.ceil(buckets.length / 12);
  buckets.forEach((at, i) => {
    let base = 0;
    series.forEach(([name, points], s) => {
      const v = points[i].cost;
      if (v > 0) {
        const rect = svg("rect", { class: "seg", x: left + i * slot + (slot - width) / 2, y: y(base + v), width, height: Math.max(0.5, y(base) - y(base + v)), fill: palette[s % palette.length], "data-series": name, "data-bucket": at });
        const tip = svg("title"); tip.textContent = `${name} · ${at}: ${usd(v)}`; rect.append(tip);
        rect.addEventListener("click", () => drillDown({ [dim]: name }, bucketRange(at, b), `${name} · ${at}`));
        plot.append(rect);
      }
      base += v;
    });
    if (i % step === 0) {
      const label = svg("text", { x: left + i * slot + slot / 2, y: H - 8, "text-anchor": "middle", "font-size": 11, fill: "#5c667a" });
      label.textContent = at.length > 10 ? at.slice(5, 13).replace("T", " ") : at;
      plot.append(label);
    }
  });
  host.append(plot);
  series.forEach(([name, points], s) => legend.append(h("span", {}, h("i", { style: `background:${palette[s % palette.length]}` }), `${name} ${usd(points.reduce((t, p) => t + p.cost, 0))}`)));
  if (answer.totalGroups > answer.groups.length) legend.append(h("span", {}, `top ${series.length} of ${answer.totalGroups / buckets.length} shown; ${usd(answer.totalCostUsd)} in all`));
}

function bucketRange(label, b) {
  if (b === "hour") { const from = new Date(label); return { from, to: new Date(from.getTime() + 3600000) }; }
  if (b === "day") { const from = new Date(label + "T00:00:00Z"); return { from, to: addDays(from, 1) }; }
  if (b === "month") { const [yy, mm] = label.split("-").map(Number); return { from: new Date(Date.UTC(yy, mm - 1, 1)), to: new Date(Date.UTC(yy, mm, 1)) }; }
  const [yy, ww] = label.split("-W").map(Number); // ISO week: the week with January 4th is week 1
  const jan4 = new Date(Date.UTC(yy, 0, 4));
  const from = addDays(jan4, -((jan4.getUTCDay() + 6) % 7) + (ww - 1) * 7);
  return { from, to: addDays(from, 7) };
}

function costRow(g, total, onpick) {
  const share = total > 0 ? Number(g.costUsd) / total : 0;
  return h("tr", { class: onpick ? "pick" : null, onclick: onpick, tabindex: onpick ? 0 : null },
    h("td", {}, g.keys.join(" · ")),
    h("td", { class: "r" }, usd(g.costUsd)),
    h("td", {}, h("span", { class: "share", style: `width:${Math.round(share * 80)}px` })),
    h("td", { class: "r" }, count.format(g.requests)),
    h("td", { class: "r" }, count.format(g.inputTokens)),
    h("td", { class: "r" }, count.format(g.cachedInputTokens)),
    h("td", { class: "r" }, count.format(g.outputTokens)),
    h("td", { class: "r" }, count.format(g.reasoningTokens)));
}

const costHead = (name) => h("tr", {}, h("th", {}, name), h("th", { class: "r" }, "Cost"), h("th", {}, "Share"), h("th", { class: "r" }, "Calls"),
  h("th", { class: "r" }, "Input"), h("th", { class: "r" }, "Cached"), h("th", { class: "r" }, "Output"), h("th", { class: "r" }, "Reasoning"));

async function breakdown(signal, next) {
  const dim = dimension();
  const p = params({ groupBy: dim, limit: "25" });
  if (next) p.set("next", next);
  const answer = await api(`/api/costs?${p}`, { signal });
  const table = $("breakdown");
  if (!next) {
    table.replaceChildren(costHead(dim));
    $("breakdown-title").textContent = `By ${dim}: ${usd(answer.totalCostUsd)}, ${count.format(answer.requests)} calls`;
  }
  for (const g of answer.groups) table.append(costRow(g, Number(answer.totalCostUsd), () => drillDown({ [dim]: g.keys[0] }, range(), g.keys[0])));
  state.breakdownNext = answer.next;
  $("breakdown-more").hidden = !answer.next;
}

async function tops(signal) {
  await Promise.all(["feature", "model", "user"].map(async (dim) => {
    const answer = await api(`/api/costs?${params({ groupBy: dim, limit: "5" })}`, { signal });
    const table = $(`top-${dim}`);
    table.replaceChildren(h("tr", {}, h("th", {}, dim), h("th", { class: "r" }, "Cost"), h("th", { class: "r" }, "Calls")));
    for (const g of answer.groups) {
      table.append(h("tr", { class: "pick", onclick: () => drillDown({ [dim]: g.keys[0] }, range(), g.keys[0]) },
        h("td", {}, g.keys[0]), h("td", { class: "r" }, usd(g.costUsd)), h("td", { class: "r" }, count.format(g.requests))));
    }
    if (answer.groups.length === 0) table.append(h("tr", {}, h("td", { colspan: 3, class: "hint" }, "Nothing in this range.")));
  }));
}

// ---- Drill-down: the calls behind a group ----

async function drillDown(where, r, title, next) {
  const p = new URLSearchParams({ from: iso(r.from), to: iso(r.to), limit: "50" });
  for (const f of state.filters) p.append(f.name, f.value);
  for (const [k, v] of Object.entries(where)) { p.delete(k); p.append(k, v); }
  if (next) p.set("next", next);
  state.callsQuery = { where, r, title };
  const card = $("calls-card");
  card.hidden = false;
  try {
    const answer = await api(`/api/usage?${p}`);
    const table = $("calls");
    if (!next) {
      $("calls-title").textContent = `Calls: ${title}`;
      table.replaceChildren(h("tr", {}, ["Time", "Id", "Team", "Feature", "Model", "User", "Input", "Cached", "Output", "Reasoning", "Cost"].map((c, i) => h("th", { class: i >= 6 ? "r" : null }, c))));
    }
    for (const e of answer.items) {
      table.append(h("tr", {}, h("td", {}, e.timestamp.replace("T", " ").slice(0, 19)), h("td", {}, e.id), h("td", {}, e.team), h("td", {}, e.feature),
        h("td", {}, e.model), h("td", {}, e.user || "—"), h("td", { class: "r" }, count.format(e.inputTokens)), h("td", { class: "r" }, count.format(e.cachedInputTokens)),
        h("td", { class: "r" }, count.format(e.outputTokens)), h("td", { class: "r" }, count.format(e.reasoningTokens)), h("td", { class: "r" }, usd(e.costUsd))));
    }
    if (!next && answer.items.length === 0) table.append(h("tr", {}, h("td", { colspan: 11, class: "hint" }, "No calls.")));
    state.callsNext = answer.next;
    $("calls-more").hidden = !answer.next;
    card.scrollIntoView({ block: "nearest" });
  } catch (error) {
    showMessage(error);
  }
}

// ---- Budgets, kill switches, savings, GPU pools, findings ----

function meter(spent, limit) {
  const share = limit > 0 ? spent / limit : 0;
  return h("span", { class: "meter", title: `${Math.round(share * 100)}% of the limit` },
    h("span", { class: share >= 1 ? "over" : share >= 0.8 ? "warn" : "", style: `width:${Math.min(100, share * 100)}%` }));
}

async function budgets() {
  const table = $("budgets");
  const isolate = $("isolate-form");
  isolate.hidden = state.me.role !== "admin";
  if (state.me.role === "ingest") {
    table.replaceChildren(h("tr", {}, h("td", { class: "hint" }, "Budgets are shown to finance and admin keys; your kill switches are below.")));
    $("budget-summary").textContent = "—";
    $("budget-hint").textContent = "finance and admin keys see budgets";
  } else {
    const answer = await api("/api/budgets?limit=100");
    table.replaceChildren(h("tr", {}, ["Budget", "Scope", "Period", "Spent", "Limit", "", "Burn-down", "State", "Kill switch", ""].map((c) => h("th", {}, c))));
    let tripped = 0;
    for (const b of answer.budgets) {
      if (b.killSwitch === "tripped") tripped++;
      const burn = h("span", {});
      table.append(h("tr", { "data-budget": b.id },
        h("td", {}, b.id), h("td", {}, `${b.scope.type}: ${b.scope.value}`), h("td", {}, b.period), h("td", { class: "r" }, usd(b.spentUsd)),
        h("td", { class: "r" }, usd(b.limitUsd)), h("td", {}, meter(Number(b.spentUsd), Number(b.limitUsd))), h("td", {}, burn),
        h("td", {}, h("span", { class: `state ${b.state}` }, b.state)), h("td", {}, h("span", { class: `state ${b.killSwitch}` }, b.killSwitch)),
        h("td", {}, state.me.role === "admin" && b.killSwitch !== "armed" ? h("button", { class: "ghost", onclick: () => resetScope(b.scope) }, "Reset") : null)));
      burnDown(burn, b).catch(() => { burn.textContent = "—"; });
    }
    $("budget-summary").textContent = `${answer.budgets.length}`;
    $("budget-hint").textContent = tripped ? `${tripped} tripped` : "none tripped";
  }
  const switches = await api("/api/killswitches?limit=100");
  const st = $("switches");
  st.replaceChildren(h("tr", {}, ["Scope", "State", "Budget", "Since", ""].map((c) => h("th", {}, c))));
  for (const k of switches.killSwitches) {
    st.append(h("tr", { "data-scope": `${k.scope.type}:${k.scope.value}` }, h("td", {}, `${k.scope.type}: ${k.scope.value}`), h("td", {}, h("span", { class: `state ${k.state}` }, k.state)),
      h("td", {}, k.budgetId || "—"), h("td", {}, k.since ? k.since.replace("T", " ").slice(0, 16) : "—"),
      h("td", {}, state.me.role === "admin" && k.state !== "armed" ? h("button", { class: "ghost", onclick: () => resetScope(k.scope) }, "Reset") : null)));
  }
  if (switches.killSwitches.length === 0) st.append(h("tr", {}, h("td", { colspan: 5, class: "hint" }, "No kill switches.")));
}

// Cumulative spend per day of the budget's period against its limit (scopes the cost API can filter by).
async function burnDown(host, b) {
  const filterable = ["team", "feature", "model", "user", "environment", "app"];
  if (!b.periodStart || !filterable.includes(b.scope.type)) { host.textContent = "—"; return; }
  const from = new Date(b.periodStart), to = new Date(b.periodEnd);
  const p = new URLSearchParams({ groupBy: "day", from: iso(from), to: iso(to), limit: "1000" });
  p.append(b.scope.type, b.scope.value);
  const answer = await api(`/api/costs?${p}`);
  let run = 0;
  const points = answer.groups.map((g) => (run += Number(g.costUsd)));
  const limit = Number(b.limitUsd);
  const max = Math.max(limit, run) || 1;
  const W = 140, H = 28;
  const line = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "spark", role: "img", "aria-label": `burn-down of ${b.id}` });
  line.append(svg("line", { x1: 0, x2: W, y1: H - H * limit / max, y2: H - H * limit / max, stroke: "#c62f3b", "stroke-dasharray": "3 2" }));
  const xs = (i) => points.length > 1 ? (i * W) / (points.length - 1) : 0;
  line.append(svg("polyline", { points: points.map((v, i) => `${xs(i)},${H - H * v / max}`).join(" "), fill: "none", stroke: "#2f6fed", "stroke-width": 1.5 }));
  host.replaceChildren(line);
}

async function isolateScope(event) {
  event.preventDefault();
  const scope = { type: $("isolate-type").value, value: $("isolate-value").value.trim() };
  if (!confirm(`Stop every call of ${scope.type} ${scope.value} now?`)) return;
  try {
    await api("/api/killswitches/isolate", { method: "POST", body: JSON.stringify({ scope }) });
    $("isolate-value").value = "";
    await budgets();
  } catch (error) { showMessage(error); }
}

async function resetScope(scope) {
  if (!confirm(`Lift the stop on ${scope.type} ${scope.value} and re-arm its budgets?`)) return;
  try {
    await api("/api/killswitches/reset", { method: "POST", body: JSON.stringify({ scope }) });
    await budgets();
  } catch (error) { showMessage(error); }
}

async function savings(signal) {
  const answer = await api(`/api/costs/savings?${params()}`, { signal });
  const host = $("savings");
  const lines = (items) => items.slice(0, 5).map((s) => h("tr", { title: s.how }, h("td", {}, s.kind), h("td", {}, s.subject), h("td", { class: "r" }, usd(s.usd))));
  host.replaceChildren(
    h("p", {}, "Realized ", h("strong", { id: "savings-realized" }, usd(answer.realizedUsd)), " · available ", h("strong", { id: "savings-available" }, usd(answer.availableUsd))),
    h("table", { class: "grid" }, lines(answer.realized), lines(answer.available)));
}

async function gpu() {
  const answer = await api("/api/gpu/pools?limit=100");
  const table = $("gpu");
  table.replaceChildren(h("tr", {}, ["Pool", "Team", "Capacity", "Decision", "Why"].map((c) => h("th", {}, c))));
  for (const p of answer.pools) {
    const d = p.lastDecision;
    table.append(h("tr", {}, h("td", {}, p.pool.name), h("td", {}, p.pool.team || "—"),
      h("td", {}, d ? `${d.currentCapacity} → ${d.desiredCapacity}` : "—"), h("td", {}, d ? d.mode : "no decision yet"), h("td", {}, d ? d.reasons.join("; ") : "")));
  }
  if (answer.pools.length === 0) table.append(h("tr", {}, h("td", { colspan: 5, class: "hint" }, "No GPU pools.")));
}

async function findings() {
  const answer = await api("/api/findings?state=open&limit=20");
  $("findings-card").hidden = answer.findings.length === 0;
  const table = $("findings");
  table.replaceChildren(h("tr", {}, ["Kind", "Subject", "Severity", "Recommendation"].map((c) => h("th", {}, c))));
  for (const f of answer.findings) {
    table.append(h("tr", {}, h("td", {}, f.kind), h("td", {}, `${f.subject.type}: ${f.subject.name}`), h("td", {}, h("span", { class: `state ${f.severity}` }, f.severity)), h("td", {}, f.recommendation)));
  }
}

// ---- CSV export of the current view (the key goes in a header, so the file is fetched, then saved) ----

async function exportCsv() {
  const r = range();
  try {
    const response = await api(`/api/costs?${params({ groupBy: `${dimension()},${bucket(r)}`, format: "csv" }, r)}`, { raw: true });
    const blob = await response.blob();
    const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "")?.[1] || "costs.csv";
    const link = h("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(link); link.click(); link.remove();
  } catch (error) { showMessage(error); }
}

// ---- Wiring ----

function renderFilters() {
  $("filters").replaceChildren(...state.filters.map((f, i) => h("span", { class: "chip" }, `${f.name} = ${f.value}`,
    h("button", { title: "Remove", "aria-label": `Remove filter ${f.name}`, onclick: () => { state.filters.splice(i, 1); renderFilters(); refresh(); } }, "×"))));
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").hidden = true;
    try { await signIn($("key").value.trim()); } catch (error) {
      $("sign-in-error").textContent = error.status === 401 ? "This key was refused: it is unknown or revoked." : error.message;
      $("sign-in-error").hidden = false;
    }
  });
  $("sign-out").addEventListener("click", signOut);
  $("range").addEventListener("change", () => { $("custom-range").hidden = $("range").value !== "custom"; refresh(); });
  $("from").addEventListener("change", refresh); $("to").addEventListener("change", refresh);
  $("group-by").addEventListener("change", () => { $("tag-name-label").hidden = $("group-by").value !== "tag"; refresh(); });
  $("tag-name").addEventListener("change", refresh);
  $("bucket").addEventListener("change", refresh);
  $("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    let name = $("filter-dim").value, value = $("filter-value").value.trim();
    if (name === "tag") { const at = value.indexOf("="); if (at < 1) return; name = `tag:${value.slice(0, at)}`; value = value.slice(at + 1); }
    if (!value) return;
    state.filters.push({ name, value }); $("filter-value").value = "";
    renderFilters(); refresh();
  });
  $("export-csv").addEventListener("click", exportCsv);
  $("breakdown-more").addEventListener("click", () => breakdown(view.signal, state.breakdownNext).catch((error) => { if (error.name !== "AbortError") showMessage(error); }));
  $("calls-more").addEventListener("click", () => { const q = state.callsQuery; drillDown(q.where, q.r, q.title, state.callsNext); });
  $("calls-close").addEventListener("click", () => { $("calls-card").hidden = true; });
  $("isolate-form").addEventListener("submit", isolateScope);
  if (sessionStorage.getItem(KEY)) signIn(sessionStorage.getItem(KEY)).catch(() => { $("sign-in-view").hidden = false; });
});
