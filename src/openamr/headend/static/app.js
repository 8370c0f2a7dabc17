// The head-end's page: the fleet (#/) and one meter (#/meter/SERIAL), from the
// aggregating endpoints of openamr.headend.webui; actions go to the on-demand
// endpoints (POST /meters/{serial}/jobs or /commands) and are followed by
// correlation id; alarms arrive over server-sent events (GET /alarms/stream).
import { Plot } from "./plot.js";

const $ = (sel, root = document) => root.querySelector(sel);
const PAGE = 50;
const state = { by: "group", heatOffset: 0, metersOffset: 0, days: 7, view: "rates", serial: null, alarms: [] };

async function api(path, options = {}) {
  const r = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${body.error || r.statusText}${body.hint ? ` (${body.hint})` : ""}`);
  return body;
}

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function when(ts) {
  return ts == null ? "–" : new Date(ts * 1000).toISOString().slice(0, 19).replace("T", " ");
}

function fill(table, rows, empty = "nothing yet") {
  const body = $("tbody", table);
  body.innerHTML = rows.length ? rows.join("") : `<tr><td colspan="9" class="empty">${empty}</td></tr>`;
}

function heatColour(p) {
  // red (0 %) through amber to green (100 %)
  const hue = Math.round((p / 100) * 120);
  return `hsl(${hue}, 65%, ${p === 100 ? 62 : 70}%)`;
}

// -- the fleet ------------------------------------------------------------------------

function filters() {
  const form = $("#filters");
  const q = new URLSearchParams();
  for (const el of form.elements) if (el.name && el.value) q.set(el.name, el.value);
  return q;
}

function pager(el, total, offset, go) {
  const last = Math.max(0, Math.ceil(total / PAGE) - 1);
  const page = Math.floor(offset / PAGE);
  el.innerHTML = total <= PAGE ? "" :
    `<button type="button" data-p="${page - 1}" ${page ? "" : "disabled"}>‹ previous</button>
     page ${page + 1} of ${last + 1}
     <button type="button" data-p="${page + 1}" ${page < last ? "" : "disabled"}>next ›</button>`;
  el.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => go(Number(b.dataset.p) * PAGE)));
}

async function loadCounts() {
  const s = await api(`/fleet/summary?${filters()}`);
  const form = $("#filters");
  for (const [name, values] of [["group", s.groups], ["cell", s.cells]]) {
    const select = form.elements[name];
    if (select.options.length - 1 !== values.length) {
      const chosen = select.value;
      select.innerHTML = `<option value="">all</option>` + values.map((v) => `<option>${esc(v)}</option>`).join("");
      select.value = chosen;
    }
  }
  const cards = [
    ["meters", s.meters, ""], ["online", s.online, "ok"], ["collected today", s.collected_today, "ok"],
    ["failed today", s.failed, s.failed ? "bad" : ""], ["alarms open", s.alarms_open, s.alarms_open ? "warn" : ""],
  ];
  $("#counts").innerHTML = cards.map(([name, n, kind]) =>
    `<div class="count ${kind}" data-count="${name}"><b>${n.toLocaleString("en")}</b><span>${name}</span></div>`).join("");
}

async function loadHeat() {
  const q = filters();
  q.set("by", state.by); q.set("days", 14); q.set("offset", state.heatOffset); q.set("limit", PAGE);
  const h = await api(`/fleet/completeness?${q}`);
  const head = `<tr><th></th>${h.days.map((d) => `<th class="day">${d.slice(5)}</th>`).join("")}<th>meters</th></tr>`;
  const rows = h.rows.map((r) => `<tr class="link" data-key="${esc(r.key)}"><th>${esc(r.key || "(no group)")}</th>${
    r.percent.map((p, i) => p === null ? `<td class="none">·</td>` :
      `<td style="background:${heatColour(p)}" title="${esc(r.key)} ${h.days[i]}: ${p} % of ${h.expected[i] * r.meters} intervals">${p}</td>`).join("")
  }<td>${r.meters.toLocaleString("en")}</td></tr>`);
  $("#heat").innerHTML = h.rows.length ? `<table>${head}${rows.join("")}</table>` : `<p class="empty">no meters match</p>`;
  $("#heat").querySelectorAll("tr.link").forEach((tr) => tr.addEventListener("click", () => {
    if (state.by === "meter") { location.hash = `#/meter/${tr.dataset.key}`; return; }
    $("#filters").elements.group.value = tr.dataset.key;
    state.by = "meter"; state.heatOffset = 0; markToggle(); refreshFleet();
  }));
  pager($("#heat-pager"), h.total, h.offset, (o) => { state.heatOffset = o; loadHeat(); });
}

async function loadMeters() {
  const q = filters();
  q.set("offset", state.metersOffset); q.set("limit", PAGE);
  const m = await api(`/fleet/meters?${q}`);
  $("#meters-total").textContent = `${m.total.toLocaleString("en")} match`;
  fill($("#meters"), m.meters.map((x) => {
    const s = x.last_session;
    return `<tr class="link" data-serial="${esc(x.serial)}"><td><a href="#/meter/${esc(x.serial)}">${esc(x.serial)}</a></td>
      <td>${esc(x.group)}</td><td>${x.cell ?? ""}</td><td>${esc(x.state)}</td><td>${esc(x.firmware)}</td>
      <td>${s ? when(s.started) : "never"}</td><td class="${s ? s.outcome : ""}">${s ? s.outcome : ""}</td>
      <td class="num">${s ? s.readings : ""}</td><td class="reason">${s ? esc(s.reason) : ""}</td></tr>`;
  }), "no meters match");
  $("#meters").querySelectorAll("tr.link").forEach((tr) =>
    tr.addEventListener("click", () => { location.hash = `#/meter/${tr.dataset.serial}`; }));
  pager($("#meters-pager"), m.total, m.offset, (o) => { state.metersOffset = o; loadMeters(); });
}

function markToggle() {
  document.querySelectorAll("#heat-by button").forEach((b) => b.classList.toggle("on", b.dataset.by === state.by));
}

async function refreshFleet() {
  await Promise.all([loadCounts(), loadHeat(), loadMeters()]);
  document.body.dataset.loaded = "fleet";
}

// -- a meter ---------------------------------------------------------------------------

const profilePlot = new Plot($("#m-plot"), { unit: "kW", legend: $("#m-legend") });
const clockPlot = new Plot($("#m-clock"), { unit: "s", step: true });

async function loadMeter(serial) {
  const o = await api(`/meters/${encodeURIComponent(serial)}/overview`);
  const m = o.meter;
  $("#m-title").textContent = `Meter ${m.serial}`;
  const fields = [["serial", m.serial], ["state", m.state], ["logical device name", m.logical_device_name],
    ["system title", m.system_title], ["url", m.url], ["client / auth", `${m.client} / ${m.auth}`],
    ["group", m.group], ["cell", m.cell], ["tariff group", m.tariff_group], ["firmware", m.firmware],
    ["MSISDN", m.msisdn], ["IMSI", m.imsi], ["ICCID", m.iccid]];
  $("#m-identity").innerHTML = fields.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v ?? "")}</dd>`).join("");
  const r = o.relay;
  $("#m-relay").innerHTML = !r ? `<span class="empty">unknown: no disconnect or reconnect command yet</span>` :
    r.result ? `<b class="${r.result.output_state ? "ok" : "bad"}">${r.result.output_state ? "connected" : "disconnected"}</b>
      (${esc(r.result.control_state)}) <small>read back after ${r.command}, ${when(r.updated)}</small>` :
    `<b>${esc(r.command)}: ${esc(r.state)}</b> <small>${when(r.updated)}</small>`;
  fill($("#m-registers"), o.registers.map((x) => `<tr><td>${esc(x.name)}</td><td>${x.obis}</td>
    <td class="num">${x.value.toLocaleString("en", { maximumFractionDigits: 3 })}</td><td>${esc(x.unit)}</td><td>${when(x.ts)}</td></tr>`));
  fill($("#m-corrections"), o.corrections.map((x) => `<tr><td>${when(x.ts)}</td><td class="num">${x.offset_s.toFixed(1)}</td>
    <td class="num">${x.shift_s.toFixed(1)}</td><td>${x.forced ? "yes" : ""}</td></tr>`), "no correction");
  clockPlot.set(o.clock.map((x) => x.ts), [{ name: "offset", color: "#8250df", values: o.clock.map((x) => x.offset_s) }]);
  fill($("#m-alarms"), o.alarms.map((x) => `<tr><td>${when(x.ts)}</td><td>0x${x.code.toString(16).padStart(4, "0")}</td>
    <td>${esc(x.name)}</td><td>${esc(x.state)}</td></tr>`));
  fill($("#m-events"), o.events.map((x) => `<tr><td>${when(x.ts)}</td><td>0x${x.code.toString(16).padStart(4, "0")}</td>
    <td>${esc(x.name)}</td></tr>`));
  fill($("#m-sessions"), o.sessions.map((x) => `<tr><td>${when(x.started)}</td><td class="num">${x.ended - x.started}</td>
    <td class="${x.outcome}">${x.outcome}</td><td class="num">${x.readings}</td>
    <td class="num">${x.bytes_sent} / ${x.bytes_received}</td><td class="reason">${esc(x.reason)}</td></tr>`));
  await loadProfile(serial);
  document.body.dataset.loaded = `meter ${serial}`;
}

// per direction and rate (T1..T4): shades of the direction's colour
const RATE_COLOURS = { import: ["#1f6feb", "#d4a72c", "#8250df", "#bf3989"], export: ["#1a7f37", "#fb8f44", "#0a3069", "#953800"] };
const TOTAL_COLOURS = { "1.0.1.8.0.255": "#1f6feb", "1.0.2.8.0.255": "#1a7f37" };

function power(ts, energy, scale) {
  // an interval's energy over its length: its average power (kW)
  return energy.map((v, i) => (i === 0 || v === null ? null : (v * scale) / ((ts[i] - ts[i - 1]) / 3600)));
}

async function loadProfile(serial) {
  const p = await api(`/meters/${encodeURIComponent(serial)}/profile?days=${state.days}`);
  const scaleOf = (unit) => (unit === "kWh" ? 1 : 1 / 1000);
  const energy = p.columns.filter((c) => c.unit === "Wh" || c.unit === "kWh");
  let series;
  if (state.view === "rates" && p.rates.length) {
    // the totals split by the rate the meter's calendar put in force (headend/tariff.py)
    series = p.rates.map((r) => ({
      name: `${r.direction === "import" ? "import A+" : "export A−"} T${r.rate}`, key: `${r.direction} T${r.rate}`,
      color: RATE_COLOURS[r.direction][(r.rate - 1) % 4], values: power(p.ts, r.energy, scaleOf(r.unit)),
    }));
  } else {
    // the columns are cumulative registers: an interval's energy is their advance
    series = energy.map((c, k) => ({
      name: c.obis === "1.0.1.8.0.255" ? "import A+" : c.obis === "1.0.2.8.0.255" ? "export A−" : c.name,
      key: c.obis === "1.0.1.8.0.255" ? "import" : c.obis === "1.0.2.8.0.255" ? "export" : c.obis,
      color: TOTAL_COLOURS[c.obis] || ["#bf3989", "#953800"][k % 2],
      values: power(p.ts, c.values.map((v, i) => (i === 0 || v === null || c.values[i - 1] === null ? null : v - c.values[i - 1])), scaleOf(c.unit)),
    }));
  }
  profilePlot.set(p.ts, series);
  const cal = p.calendar;
  $("#m-tariff").innerHTML = cal.problem ? `<span class="empty">per rate: ${esc(cal.problem)}</span>` :
    `rates from the meter's calendar <b>${esc(cal.name || "(no name)")}</b>, read ${when(cal.read)}` +
    (cal.estimated ? `; ${cal.estimated} intervals cut by a rate switch, split by time` : "");
}

// -- actions, with a confirmation and their progress -------------------------------------

const ACTIONS = {
  collect: { title: "Read now", text: "Collect this meter now: clock, billing registers, load profile since the last stored entry, log-book.",
    post: (s) => [`/meters/${s}/jobs`, { kind: "collect" }], follow: "jobs" },
  sync: { title: "Sync clock", text: "Collect this meter now and set its clock to the head-end's time, whatever the drift (forced).",
    post: (s) => [`/meters/${s}/jobs`, { kind: "collect", params: { force_clock: true } }], follow: "jobs" },
  disconnect: { title: "Disconnect", text: "Open the meter's contactor: the customer loses supply. The state is read back and compared.",
    post: (s) => [`/meters/${s}/commands`, { kind: "disconnect" }], follow: "commands" },
  reconnect: { title: "Reconnect", text: "Close the meter's contactor (or make it ready for the customer's button). The state is read back and compared.",
    post: (s) => [`/meters/${s}/commands`, { kind: "reconnect" }], follow: "commands" },
};
const FINAL = new Set(["done", "failed", "confirmed"]);

function confirmAction(title, text) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

async function act(name) {
  const a = ACTIONS[name];
  const serial = state.serial;
  if (!(await confirmAction(`${a.title}: meter ${serial}?`, a.text))) return;
  const li = document.createElement("li");
  $("#m-progress").prepend(li);
  const show = (st, extra = "") => {
    li.dataset.state = st;
    li.innerHTML = `${a.title} <span class="state ${st}">${esc(st)}</span> ${extra}`;
  };
  show("sending");
  try {
    const [path, body] = a.post(encodeURIComponent(serial));
    const job = await api(path, { method: "POST", body: JSON.stringify(body) });
    show(job.state, `<small>${job.correlation_id}</small>`);
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const s = await api(`/${a.follow}/${job.correlation_id}`);
      const detail = s.result ? (typeof s.result === "string" ? s.result : JSON.stringify(s.result)) : s.reason || "";
      show(s.state, `<small>${esc(detail).slice(0, 160)}</small>`);
      if (FINAL.has(s.state)) break;
    }
  } catch (e) {
    show("failed", esc(e.message));
  }
  if (state.serial === serial) loadMeter(serial);
}

// -- a firmware campaign for a group (POST /campaigns, followed at GET /campaigns/{id}) ----

async function startCampaign(form) {
  const group = $("#filters").elements.group.value;
  const li = document.createElement("li");
  $("#campaign-progress").prepend(li);
  const show = (st, extra = "") => {
    li.dataset.state = st;
    li.innerHTML = `campaign ${esc(form.elements.identifier.value)} for ${esc(group)} <span class="state ${st}">${esc(st)}</span> ${extra}`;
  };
  if (!group) { show("failed", "choose a group in the filters first"); return; }
  const file = form.elements.image.files[0];
  const text = `Send ${file.name} (${file.size.toLocaleString()} bytes) to every active meter of ${group}, verify it and activate it.`;
  if (!(await confirmAction(`Firmware campaign: group ${group}?`, text))) { li.remove(); return; }
  show("sending");
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const now = Math.floor(Date.now() / 1000);
    const body = { image: btoa(binary), identifier: form.elements.identifier.value, group,
      window: { start: now, end: now + 3600 * Number(form.elements.hours.value || 24) } };
    const c = await api("/campaigns", { method: "POST", body: JSON.stringify(body) });
    for (let i = 0; i < 3600; i++) {
      const s = await api(`/campaigns/${c.id}`);
      const counts = Object.entries(s.counts || {}).map(([k, v]) => `${esc(k)} ${v}`).join(", ");
      show(s.state, `<small>${counts}</small>`);
      if (["done", "failed", "finished", "cancelled"].includes(s.state)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (e) {
    show("failed", esc(e.message));
  }
}

// -- alarms as they arrive -------------------------------------------------------------

function alarmItem(a, fresh) {
  return `<li class="${fresh ? "new" : ""}" data-alarm="${a.id}"><a href="#/meter/${esc(a.serial)}">${esc(a.serial)}</a>
    ${esc(a.name)} <small>0x${a.code.toString(16).padStart(4, "0")}</small><time>${when(a.ts)} (meter time)</time></li>`;
}

async function listen() {
  const recent = await api("/alarms?limit=20").catch(() => []);
  $("#alarm-list").innerHTML = recent.map((a) => alarmItem({ ...a, serial: a.serial }, false)).join("") ||
    `<li class="empty">none yet: they appear here as the meters push them</li>`;
  const after = recent.length ? Math.max(...recent.map((a) => a.id)) : 0;
  const source = new EventSource(`/alarms/stream?after=${after}`);
  source.addEventListener("hello", () => {
    $("#live-dot").className = "dot on";
    $("#live-text").textContent = "alarms live";
  });
  source.addEventListener("alarm", (e) => {
    const a = JSON.parse(e.data);
    $("#alarm-list .empty")?.remove();
    $("#alarm-list").insertAdjacentHTML("afterbegin", alarmItem(a, true));
    $("#live-dot").className = "dot flash";
    $("#live-text").textContent = `${a.name}: ${a.serial}`;
    setTimeout(() => { $("#live-dot").className = "dot on"; }, 1500);
    if (location.hash === "#/" || location.hash === "") loadCounts();
    if (state.serial === a.serial) loadMeter(a.serial);
  });
  source.onerror = () => { $("#live-dot").className = "dot"; $("#live-text").textContent = "reconnecting…"; };
}

// -- routing ----------------------------------------------------------------------------

function route() {
  const m = location.hash.match(/^#\/meter\/(.+)$/);
  state.serial = m ? decodeURIComponent(m[1]) : null;
  $("#fleet-view").hidden = Boolean(m);
  $("#meter-view").hidden = !m;
  delete document.body.dataset.loaded;
  const done = m ? loadMeter(state.serial) : refreshFleet();
  done.catch((e) => { document.body.dataset.error = e.message; console.error(e); });
}

$("#filters").addEventListener("input", () => { state.heatOffset = 0; state.metersOffset = 0; refreshFleet(); });
$("#filters").addEventListener("submit", (e) => e.preventDefault());
$("#campaign-form").addEventListener("submit", (e) => { e.preventDefault(); startCampaign(e.target); });
document.querySelectorAll("#heat-by button").forEach((b) => b.addEventListener("click", () => {
  state.by = b.dataset.by; state.heatOffset = 0; markToggle(); loadHeat();
}));
document.querySelectorAll("#p-days button").forEach((b) => b.addEventListener("click", () => {
  state.days = Number(b.dataset.days);
  document.querySelectorAll("#p-days button").forEach((x) => x.classList.toggle("on", x === b));
  loadProfile(state.serial);
}));
document.querySelectorAll("#p-view button").forEach((b) => b.addEventListener("click", () => {
  state.view = b.dataset.view;
  document.querySelectorAll("#p-view button").forEach((x) => x.classList.toggle("on", x === b));
  loadProfile(state.serial);
}));
document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));
window.addEventListener("hashchange", route);
setInterval(() => { if (!state.serial && document.visibilityState === "visible") refreshFleet(); }, 10000);
route();
listen();
