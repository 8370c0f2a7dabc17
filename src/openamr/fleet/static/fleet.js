// The fleet's page: a page of twins, each LCD drawn from GET /lcds/<offset>/<limit>
// (what the meter shows now: the scroll list's page, L1-L3, phase sequence, reversal,
// rate, FF, GSM signal segments, the communication cursor, the contactor), and
// buttons that inject events through POST /inject/<event> {"meter": serial, ...}.
const $ = (sel, root = document) => root.querySelector(sel);
const PAGE = 12;
let offset = 0, total = 0, cards = new Map();

async function call(path, body) {
  const r = await fetch(path, body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await r.json();
  if (!r.ok) throw new Error(answer.error || r.statusText);
  return answer;
}

function card(meter) {
  const node = $("#meter").content.firstElementChild.cloneNode(true);
  node.dataset.serial = meter.serial;
  $(".serial", node).textContent = meter.serial;
  $(".where", node).textContent = `${meter.url.replace("tcp://", "")} · cell ${meter.cell} · ${meter.group}`;
  node.querySelectorAll("[data-event]").forEach((b) => b.addEventListener("click", () => inject(meter.serial, b)));
  return node;
}

function draw(node, meter) {
  const s = meter.lcd;
  node.classList.toggle("offline", meter.offline || Boolean(meter.outage));
  const lcd = $(".lcd", node);
  lcd.classList.toggle("off", s.mode === "off");
  const on = (sel, lit) => $(sel, lcd).classList.toggle("on", Boolean(lit));
  s.phases.forEach((p, i) => on(`.l${i + 1}`, p));
  on(".seq", !s.sequence_ok); on(".rev", s.reversal); on(".ff", s.ff); on(".comm", s.communication);
  on(".rate", true); $(".rate", lcd).textContent = `T${s.rate}`;
  lcd.querySelectorAll(".signal i").forEach((bar, i) => bar.classList.toggle("on", s.registered && i < s.signal));
  $(".code", lcd).textContent = s.address;
  $(".value", lcd).textContent = s.value;
  $(".unit", lcd).textContent = s.unit;
  const relay = $(".relay", lcd);
  relay.textContent = s.contactor === "connected" ? "relay on" : s.contactor === "disconnected" ? "relay off" : "relay ready";
  relay.classList.add("on");
  on(".cover", s.covers_open.some(Boolean));
  $(".page", lcd).textContent = s.mode === "off" ? "" : `${s.mode} ${s.page + 1}/${s.pages}`;
  lcd.title = s.text;
  $(".scroll ol", node).innerHTML = meter.scroll.map((p, i) =>
    `<li class="${i === s.page ? "now" : ""}">${p.address} ${p.value} ${p.unit}</li>`).join("");
}

async function load() {
  const page = await call(`/lcds/${offset}/${PAGE}`);
  total = page.total;
  const grid = $("#meters");
  const serials = page.meters.map((m) => m.serial).join();
  if ([...cards.keys()].join() !== serials) {
    cards = new Map(page.meters.map((m) => [m.serial, card(m)]));
    grid.replaceChildren(...cards.values());
  }
  page.meters.forEach((m) => draw(cards.get(m.serial), m));
  $("#where").textContent = `meters ${offset + 1}–${Math.min(offset + PAGE, total)} of ${total.toLocaleString("en")}`;
  $("#prev").disabled = offset === 0;
  $("#next").disabled = offset + PAGE >= total;
  document.body.dataset.loaded = String(offset);
}

async function status() {
  const s = await call("/status");
  $("#status").textContent = `fleet time ${s.time.slice(0, 19).replace("T", " ")} · ${s.online} online · ` +
    `${s.awake} awake · ${s.sessions} sessions served · ${s.alarms_pushed} alarms pushed`;
}

async function inject(serial, button) {
  const body = { meter: serial, ...JSON.parse(button.dataset.body) };
  try {
    await call(`/inject/${button.dataset.event}`, body);
    $("#said").textContent = `${button.textContent}: injected into ${serial}`;
  } catch (e) {
    $("#said").textContent = `${button.textContent} on ${serial}: ${e.message}`;
  }
  load();
}

$("#prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
$("#next").addEventListener("click", () => { offset += PAGE; load(); });
$("#goto").addEventListener("change", async (e) => {
  try {
    const found = await call(`/meters/${encodeURIComponent(e.target.value.trim())}/index`);
    offset = Math.floor(found.index / PAGE) * PAGE;
    load();
  } catch (err) {
    $("#said").textContent = err.message;
  }
});
setInterval(() => { if (document.visibilityState === "visible") { load(); status(); } }, 2000);
load(); status();
