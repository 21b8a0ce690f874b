// Manager dashboard: polls the edge API and renders KPIs, inline-SVG charts and the work lists.
import { Api, ApiError, el, euros, showNotice, clearNotice } from "./api.js";
import { paths } from "./paths.js";
import { browserId } from "./device.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("manager-config").textContent);
const SESSION = { token: "vitrine.manager.token", name: "vitrine.manager.name" };
const SVG = "http://www.w3.org/2000/svg";
const api = new Api(() => sessionStorage.getItem(SESSION.token), { timeoutMs: 5000 });
const backlogHistory = [];
let timer = null;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars: [{label, value, display}] */
function barChart(rows, { width = 560, barH = 26, labelW = 140 } = {}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = Math.max(barH, rows.length * (barH + 8));
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${h}`, width: "100%", role: "img", "aria-label": rows.map((r) => `${r.label} ${r.display}`).join(", ") });
  rows.forEach((r, i) => {
    const y = i * (barH + 8);
    const w = Math.max(2, ((width - labelW - 110) * r.value) / max);
    chart.append(svg("text", { x: 0, y: y + barH * 0.68 }, r.label));
    chart.append(svg("rect", { x: labelW, y, width: w, height: barH, rx: 4, fill: "#0b4f8a" }));
    chart.append(svg("text", { x: labelW + w + 8, y: y + barH * 0.68 }, r.display));
  });
  return chart;
}

/** Vertical bars for 24 hours. */
function hourChart(byHour) {
  const width = 360, height = 140, pad = 18;
  const max = Math.max(1, ...byHour);
  const bw = (width - pad) / 24;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": "Sales per hour" });
  byHour.forEach((v, h) => {
    const bh = ((height - 2 * pad) * v) / max;
    chart.append(svg("rect", { x: pad + h * bw, y: height - pad - bh, width: bw - 2, height: bh, fill: "#1e6b34" }));
    if (h % 3 === 0) chart.append(svg("text", { x: pad + h * bw, y: height - 4 }, `${h}h`));
  });
  chart.append(svg("text", { x: 0, y: 12 }, `max ${max}`));
  return chart;
}

function sparkline(node, values) {
  node.replaceChildren();
  if (values.length < 2) return;
  const max = Math.max(1, ...values);
  const step = 300 / (values.length - 1);
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(46 - (42 * v) / max).toFixed(1)}`).join(" ");
  node.append(svg("polyline", { points: pts, fill: "none", stroke: "#a11b1b", "stroke-width": 2 }));
}

function table(headers, rows, emptyText) {
  if (!rows.length) return el("p", { class: "muted", text: emptyText });
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map(([h, cls]) => el("th", { class: cls, text: h })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, i) => el("td", { class: headers[i][1], text: c ?? "–" }))))));
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "none";
  return seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

const list = (data, ...keys) => (Array.isArray(data) ? data : keys.map((k) => data && data[k]).find(Array.isArray) || []);

// ---------- panels ----------

const panels = {
  async summary() {
    const d = await api.get(paths.dashboard());
    const r = d.today;
    $("kpi-sales").textContent = euros(r.revenue_cents);
    $("kpi-sales-n").textContent = `${r.sales} sales · ${r.returns} returns`;
    $("kpi-basket").textContent = euros(r.average_basket_cents);
    $("kpi-loyalty").textContent = `${Math.round(100 * r.loyalty_rate)} %`;
    const channels = Object.entries(r.revenue_per_channel_cents).sort((a, b) => b[1] - a[1]);
    $("channel-chart").replaceChildren(channels.length
      ? barChart(channels.map(([c, v]) => ({ label: c.replace("_", " "), value: v, display: euros(v) })))
      : el("p", { class: "muted", text: "No sale yet today." }));
    $("hour-chart").replaceChildren(hourChart(r.sales_per_hour));
    $("low-stock").replaceChildren(table([["SKU"], ["Product"], ["Here", "num"]],
      d.low_stock.map((x) => [x.sku, x.name, String(x.qty)]), "Nothing running low."));
    // One row per product over the zones its count replaced (units on another shelf are no gap).
    $("discrepancies").replaceChildren(table([["SKU"], ["Product"], ["Book", "num"], ["Counted", "num"], ["Gap", "num"], ["Zones (book → counted)"]],
      d.discrepancies.map((x) => [x.sku, x.name, String(x.book), String(x.counted), `${x.counted - x.book > 0 ? "+" : ""}${x.counted - x.book}`,
        x.zones.map((z) => `${z.zone} ${z.book} → ${z.counted}`).join(" · ")]),
      "No discrepancy in the last counts."));
    $("returns").replaceChildren(table([["Return"], ["Receipt"], ["Channel"], ["Refund", "num"]],
      d.returns.map((x) => [x.return_id, x.receipt_id, x.channel, euros(x.refund_cents)]), "No return yet."));
  },
  async sync() {
    const s = await api.get(paths.syncStatus());
    const online = s.online;
    const card = $("sync");
    card.dataset.state = online ? "online" : "offline";
    card.classList.toggle("online", online);
    card.classList.toggle("offline", !online);
    $("sync-state").textContent = online ? "Online" : s.configured === false ? "Not configured" : "Offline";
    $("sync-hint").textContent = online ? "" : s.configured === false
      ? "This edge has no cloud link: ask IT to set the broker address."
      : "The store keeps selling; changes are queued and sent when the link is back. If it lasts, check the internet link.";
    if (s.recovery) {
      card.dataset.state = "recovery";
      card.classList.add("offline");
      $("sync-state").textContent = "Recovery needed";
      $("sync-hint").textContent = s.recovery;
    }
    const backlog = s.backlog;
    $("sync-backlog").textContent = String(backlog);
    $("sync-backlog").dataset.value = String(backlog);
    $("sync-oldest").textContent = age(s.oldest_unsynced_age_s);
    $("sync-contact").textContent = ago(s.last_contact_age_s);
    const skew = s.clock_skew_ms;
    const clock = $("sync-clock");
    clock.textContent = skew === null || skew === undefined ? "not measured yet"
      : `${skew >= 0 ? "+" : "−"}${(Math.abs(skew) / 1000).toFixed(1)} s`;
    clock.dataset.warning = s.clock_warning ? "true" : "false";
    clock.title = s.clock_warning || "";
    if (s.clock_warning) $("sync-hint").textContent = `${$("sync-hint").textContent} ${s.clock_warning}`.trim();
    const b = s.bootstrap;
    $("sync-bootstrap-row").hidden = !b;
    if (b) {
      const part = b.sections && b.sections[b.phase];
      $("sync-bootstrap").textContent = b.complete ? "complete"
        : `${b.phase}${part ? ` ${part.done}/${part.total}` : ""} (${b.percent}%)${b.selling ? ", selling" : ", not selling yet"}`
          + (b.error ? ` — ${b.error}` : "");
      $("sync-bootstrap").dataset.state = b.state;
    }
    backlogHistory.push(backlog);
    if (backlogHistory.length > 60) backlogHistory.shift();
    sparkline($("backlog-chart"), backlogHistory);
  },
  async alerts() {
    const rows = (await api.get(paths.alerts() + "?unacknowledged=true")).alerts.slice(0, 40);
    const shown = JSON.stringify(rows.map((r) => r.alert_id));
    if (shown === alertsShown) return; // keep the buttons still between refreshes
    alertsShown = shown;
    $("alerts").replaceChildren(rows.length
      ? el("table", {}, el("thead", {}, el("tr", {}, ...["When", "Zone", "Item", "Tag", ""].map((h) => el("th", { text: h })))),
        el("tbody", {}, ...rows.map((r) => el("tr", {},
          el("td", { text: new Date(r.at).toLocaleTimeString() }), el("td", { text: r.zone }),
          el("td", { text: r.name || (r.sku ? `unknown product ${r.sku}` : "item not in the catalogue") }),
          el("td", {}, el("small", { class: "muted", text: r.epc })),
          el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => acknowledge(r.alert_id) }, "Acknowledge"))))))
      : el("p", { class: "muted", text: "No alert." }));
  },
  async devices() {
    const h = await api.get(paths.devices());
    if (!h.enabled) {
      $("devices").replaceChildren(el("p", { class: "muted", text: "No device profile configured on this edge. Ask IT to set VITRINE_DEVICES_CONFIG_DIR." }));
      return;
    }
    $("devices").replaceChildren(table([["Device"], ["Kind"], ["State"], ["Reads/s", "num"], ["Last error"]],
      h.devices.map((d) => [d.device_id, d.kind, d.connected ? "connected" : "DISCONNECTED",
        Number(d.reads_per_s).toFixed(1), d.last_error || ""]), "No device configured."));
    for (const row of $("devices").querySelectorAll("tbody tr")) {
      row.cells[2].className = row.cells[2].textContent === "connected" ? "ok" : "bad";
    }
  },
  async orders() {
    const rows = list(await api.get(paths.orders("placed")), "orders", "items")
      .concat(list(await api.get(paths.orders("picked")), "orders", "items"));
    $("orders").replaceChildren(table([["Order"], ["Customer"], ["State"], ["Total", "num"]],
      rows.map((o) => [o.order_id, o.customer_name || o.customer_id, o.state, euros(o.total_cents)]), "No order waiting."));
  },
};

let alertsShown = null;
async function acknowledge(alertId) {
  try {
    await api.post(paths.acknowledgeAlert(alertId));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) showNotice($("alerts"), "error", err.message, err.advice);
  }
  alertsShown = null;
  await panels.alerts();
}

let lockoutsShown = null;
panels.lockouts = async () => {
  const rows = await api.get(paths.lockouts());
  const shown = JSON.stringify(rows.map((r) => [r.device, r.failures]));
  if (shown === lockoutsShown) return; // keep the buttons still between refreshes
  lockoutsShown = shown;
  $("lockouts").replaceChildren(rows.length
    ? el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Device" }), el("th", { class: "num", text: "Wrong PINs" }), el("th", { text: "" }))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, el("td", { text: r.label }), el("td", { class: "num", text: String(r.failures) }),
        el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => unlock(r) }, "Unlock"))))))
    : el("p", { class: "muted", text: "No device is locked." }));
};

async function unlock(row) {
  try {
    await api.post(paths.unlock(row.device));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) showNotice($("lockouts"), "error", err.message, err.advice);
  }
  lockoutsShown = null;
  await panels.lockouts();
}

const panelBox = { lockouts: "lockouts", summary: "channel-chart", alerts: "alerts", devices: "devices", orders: "orders" };

async function refresh() {
  const names = Object.keys(panels);
  const results = await Promise.allSettled(names.map((n) => panels[n]()));
  let authFailed = false;
  let down = false;
  results.forEach((r, i) => {
    if (r.status === "fulfilled") return;
    const err = r.reason;
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) authFailed = true;
    if (err instanceof ApiError && err.status === 0) down = true;
    const name = names[i];
    if (name === "sync") {
      $("sync-state").textContent = "Unknown";
      $("sync").dataset.state = "unknown";
    } else if (panelBox[name] && err instanceof ApiError && err.status === 404) {
      $(panelBox[name]).replaceChildren(el("p", { class: "muted", text: "Not available on this edge: the device hub is not running. Ask IT to enable the device profiles." }));
    } else if (panelBox[name]) {
      showNotice($(panelBox[name]), "warn", `Unavailable: ${err.message}`, err.advice || "It will retry by itself.");
    }
  });
  if (authFailed) {
    signOut();
    showNotice($("notice"), "error", "Your manager session was refused.", "Sign in again with your manager PIN.");
    return;
  }
  if (down) showNotice($("notice"), "error", "The edge server cannot be reached.", "Check the store network; the dashboard retries by itself.");
  else clearNotice($("notice"));
  $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

function signOut() {
  for (const key of Object.values(SESSION)) sessionStorage.removeItem(key);
  if (timer) clearInterval(timer);
  timer = null;
  $("dashboard").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
}

function enter() {
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  $("sign-out").hidden = false;
  refresh();
  timer = setInterval(refresh, config.refreshSeconds * 1000);
}

$("pin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await api.post(paths.signIn(), { pin: $("pin").value, device: browserId(), label: "manager page" });
    $("pin").value = "";
    if (r.role !== "manager") {
      showNotice($("notice"), "error", "This PIN is not a manager's.", "Use a manager PIN, or the handheld for staff tasks.");
      return;
    }
    sessionStorage.setItem(SESSION.token, r.token);
    sessionStorage.setItem(SESSION.name, r.name);
    clearNotice($("notice"));
    enter();
  } catch (err) {
    $("pin").value = "";
    showNotice($("notice"), "error", err.message, err.status === 401 ? "Type the PIN again." : err.advice);
  }
});
$("sign-out").addEventListener("click", signOut);
if (sessionStorage.getItem(SESSION.token)) enter(); else { $("sign-in").hidden = false; $("pin").focus(); }
