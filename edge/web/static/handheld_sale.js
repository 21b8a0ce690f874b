// Handheld sale screen (mobile point of sale) and reservations screen. The basket lives in this
// tab only; the sale is one POST when staff press Finish, so a dropped Wi-Fi loses nothing recorded.
// The basket also takes pickups: a click & collect order (typed code or scanned pickup QR) is handed
// over on Finish (its own order → collected, counted as click & collect, not in the sale), and a
// reservation is sold as a reserved line (picked up, counted as the reservation channel).
import { ApiError, el, euros, showNotice, clearNotice } from "./api.js";
import { paths } from "./paths.js";

const $ = (id) => document.getElementById(id);
const MAX_QTY = 999;
const LARGE_QTY = 20; // a bigger quantity on one line is confirmed

let api = null;
let fail = null;
const basket = []; // {sku, name, unit_cents, qty, reservation_id?, order_id?}
const pickups = new Map(); // order_id -> {order, scanned (a verified pickup QR proves the collector), pickup_code}
const handedOver = []; // orders handed over by this sale so far (kept if the sale itself fails)
let customer = null; // {customer_id, name, balance, allowance}
let online = false;
let lastReceipt = null; // the receipt on screen (null when only orders were handed over)

export function initSale(deps) {
  ({ api, fail } = deps);
  $("sale-form").addEventListener("submit", (e) => { e.preventDefault(); addCode($("sale-code").value); });
  $("sale-customer-form").addEventListener("submit", (e) => { e.preventDefault(); identifyTyped($("sale-customer").value); });
  $("sale-customer-clear").addEventListener("click", () => { customer = null; renderCustomer(); });
  $("sale-finish").addEventListener("click", finish);
  $("sale-new").addEventListener("click", newSale);
  $("sale-receipt-email-form").addEventListener("submit", (e) => { e.preventDefault(); emailReceipt(); });
  $("reservation-form").addEventListener("submit", (e) => { e.preventDefault(); lookupReservation($("reservation-code").value); });
}

export function onSaleShown() {
  refreshLink();
  $("sale-code").focus();
}

/** A scan on the sale screen: a product goes into the basket, a loyalty card identifies the customer. */
export function saleScan(scan) {
  if (scan.kind === "loyalty_card" && scan.card_id) return identify("card", scan.card_id);
  if (scan.kind === "pickup_order" && scan.order_id) return addOrder(scan.order_id, scan.pickup_code || "", true);
  const code = scan.gtin || scan.text;
  if (code) addCode(code);
}

async function refreshLink() {
  try { online = (await api.get(paths.link())).online; } catch { online = false; }
  renderCustomer();
}

async function addCode(code) {
  code = code.trim();
  if (!code) return;
  const box = $("sale-notice");
  try {
    const p = await api.get(paths.product(code));
    add(p, 1);
    $("sale-code").value = "";
    clearNotice(box);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) return fail(err, box);
    // not a product: an order's pickup code or a reservation's reference
    if (await addOrder(code, null, false) || await addReservation(code)) {
      if ($("sale-code").value.trim() === code) $("sale-code").value = ""; // unless the next code is typed
      return;
    }
    showNotice(box, "error", `No product, order or reservation matches “${code}”.`, "Scan the barcode or the pickup QR again, or type the SKU, order number or reservation reference.");
  }
}

/** An order to hand over in this sale; false when ``orderId`` names none (typed codes only). */
async function addOrder(orderId, pickupCode, scanned) {
  const box = $("sale-notice");
  let order;
  try { order = await api.get(paths.order(orderId)); } catch (err) {
    if (!scanned && err instanceof ApiError && (err.status === 404 || err.status === 422)) return false;
    fail(err, box);
    return true;
  }
  if (!["placed", "picked"].includes(order.state)) {
    showNotice(box, "error", `Order ${order.order_id} is ${order.state}: it cannot be handed over.`, "Check the order number with the customer, or look it up under Click & collect.");
    return true;
  }
  if (pickups.has(order.order_id)) { clearNotice(box); return true; }
  pickups.set(order.order_id, { order, scanned, pickup_code: scanned && pickupCode ? pickupCode : null });
  const named = await Promise.all(order.lines.map((l) => api.get(paths.product(l.sku)).then((p) => p.name, () => l.sku)));
  order.lines.forEach((l, i) => basket.push({ sku: l.sku, name: named[i], unit_cents: l.unit_cents ?? 0, qty: l.qty, order_id: order.order_id }));
  renderBasket();
  clearNotice(box);
  if (scanned && !customer) {
    try { await setCustomer(await api.get(paths.customer(order.customer_id))); } catch { /* the QR is the proof */ }
  }
  return true;
}

/** A reservation typed or scanned on the sale screen; false when ``code`` names none. */
async function addReservation(code) {
  let r;
  try { r = await withNames(await api.get(`${paths.reservations()}/${encodeURIComponent(code)}`)); } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return false;
    fail(err, $("sale-notice"));
    return true;
  }
  if (r.state !== "active") {
    showNotice($("sale-notice"), "error", `Reservation ${r.reservation_id} is ${r.state}.`, "Only an active reservation can be picked up; sell the item as a shelf item instead.");
    return true;
  }
  if (!basket.some((l) => l.reservation_id === r.reservation_id)) await sellReservation(r);
  clearNotice($("sale-notice"));
  return true;
}

function add(p, qty, reservationId = null) {
  const unit = p.effective_cents ?? p.price_cents ?? 0;
  const line = reservationId ? null : basket.find((l) => l.sku === p.sku && !l.reservation_id);
  if (line) line.qty = Math.min(MAX_QTY, line.qty + qty);
  else basket.push({ sku: p.sku, name: p.name, unit_cents: unit, qty, reservation_id: reservationId });
  renderBasket();
}

function step(line, delta) {
  const next = line.qty + delta;
  if (line.order_id) {
    if (next < 1) dropOrder(line.order_id);
    else showNotice($("sale-notice"), "warn", `Order ${line.order_id} is handed over as ordered.`, "Scan more of this product as a separate line, or remove the order with −.");
    return;
  }
  if (line.reservation_id && next > line.qty) {
    showNotice($("sale-notice"), "warn", "A reservation is sold as reserved.", "Add more of this product as a separate line by scanning it.");
    return;
  }
  if (next < 1) basket.splice(basket.indexOf(line), 1);
  else if (next > MAX_QTY) return;
  else if (next > LARGE_QTY && line.qty <= LARGE_QTY && !window.confirm(`${next} × ${line.name}: is that right?`)) return;
  else line.qty = next;
  renderBasket();
}

function dropOrder(orderId) {
  pickups.delete(orderId);
  for (let i = basket.length - 1; i >= 0; i -= 1) if (basket[i].order_id === orderId) basket.splice(i, 1);
  renderBasket();
}

function total() { return basket.reduce((sum, l) => sum + l.unit_cents * l.qty, 0); }

function renderBasket() {
  const rows = basket.map((l) => el("tr", { "data-sku": l.sku },
    el("td", {}, el("span", { text: l.name }), el("small", { class: "muted", text: ` ${l.sku}${l.reservation_id ? " · reservation " + l.reservation_id : ""}${l.order_id ? " · order " + l.order_id : ""}` })),
    el("td", { class: "num" },
      el("button", { type: "button", class: "secondary", "data-step": "-1", "aria-label": `One less ${l.name}`, onclick: () => step(l, -1) }, "−"),
      el("span", { class: "qty", text: String(l.qty) }),
      el("button", { type: "button", class: "secondary", "data-step": "1", "aria-label": `One more ${l.name}`, onclick: () => step(l, 1) }, "+")),
    el("td", { class: "num", text: euros(l.unit_cents * l.qty) })));
  $("sale-basket").replaceChildren(basket.length
    ? el("table", {}, el("tbody", {}, ...rows), el("tfoot", {}, el("tr", {}, el("th", { text: "Total" }), el("th", {}), el("th", { class: "num", id: "sale-total", text: euros(total()) }))))
    : el("p", { class: "muted", text: "Scan or type items to start a sale." }));
  $("sale-finish").disabled = basket.length === 0;
}

// ---------- customer ----------

async function identifyTyped(text) {
  text = text.trim();
  if (!text) return;
  const kind = text.includes("@") ? "email" : /^[+0-9 ().-]{6,}$/.test(text) ? "phone" : "card";
  await identify(kind, text);
}

async function identify(kind, value) {
  const box = $("sale-notice");
  try {
    const c = await api.get(`/api/v1/customers/lookup?kind=${encodeURIComponent(kind)}&value=${encodeURIComponent(value)}`);
    await setCustomer(c);
    $("sale-customer").value = "";
    clearNotice(box);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) {
      showNotice(box, "error", `No customer with that ${kind}.`, "Check it with the customer, or scan their loyalty card.");
    } else fail(err, box);
  }
}

async function setCustomer(c) {
  const loyalty = await api.get(paths.loyalty(c.customer_id));
  customer = { customer_id: c.customer_id, name: c.name, email: c.email || "", balance: loyalty.balance, allowance: loyalty.allowance_remaining, consent: c.consent_proof || null };
  await refreshLink();
}

/** The most points this sale may redeem and the rule that says so, in plain words. */
function redeemLimit() {
  if (!customer) return { max: 0, text: "" };
  if (online) {
    return { max: customer.balance, text: `Online: head office authorises the redemption (balance ${customer.balance} points).` };
  }
  const max = Math.min(customer.balance, customer.allowance);
  return { max, text: `Offline: this store may redeem up to ${max} points for this customer (the allowance head office leased to it; balance ${customer.balance}).` };
}

/** Marketing consent as the customer gave it: their own act, when, where and which wording. */
function consentText(proof) {
  if (!proof) return "Marketing messages: no consent recorded.";
  const where = proof.channel === "online" ? "online" : `at ${proof.channel}`;
  const when = new Date(proof.at).toLocaleDateString();
  return `Marketing messages: ${proof.granted ? "agreed" : "withdrawn"} ${when} ${where} (wording ${proof.wording_version}).`;
}

function renderCustomer() {
  $("sale-who").textContent = customer ? `${customer.name} · ${customer.balance} points` : "No customer (optional).";
  $("sale-consent").textContent = customer ? consentText(customer.consent) : "";
  $("sale-customer-clear").hidden = !customer;
  const limit = redeemLimit();
  $("sale-redeem-row").hidden = !customer;
  $("sale-redeem").max = String(limit.max);
  $("sale-redeem-hint").textContent = limit.text;
}

// ---------- finish ----------

async function finish() {
  const box = $("sale-notice");
  if (!basket.length) return;
  const redeem = customer ? Number($("sale-redeem").value || 0) : 0;
  const limit = redeemLimit();
  if (!Number.isInteger(redeem) || redeem < 0) {
    showNotice(box, "error", "Points to redeem must be a whole number.", "Leave it empty to redeem none.");
    return;
  }
  if (redeem > limit.max) {
    showNotice(box, "error", `This sale can redeem at most ${limit.max} points.`, limit.text);
    return;
  }
  // a typed order code is no proof of who collects: the sale's customer must be the order's
  for (const { order, scanned } of pickups.values()) {
    if (!scanned && (!customer || customer.customer_id !== order.customer_id)) {
      showNotice(box, "error", `Check who collects order ${order.order_id}.`, "Scan the customer's pickup QR, or identify them here by card, phone or e-mail.");
      return;
    }
  }
  $("sale-finish").disabled = true;
  for (const [orderId, { order, pickup_code }] of [...pickups]) {
    try {
      if (order.state === "placed") await api.post(paths.orderPick(orderId), {});
      order.state = "picked";
      await api.post(paths.orderCollect(orderId), { customer: customer && customer.customer_id === order.customer_id ? customer.customer_id : order.customer_id, ...(pickup_code ? { pickup_code } : {}) });
      handedOver.push({ order, lines: basket.filter((l) => l.order_id === orderId) });
      dropOrder(orderId);
    } catch (err) {
      $("sale-finish").disabled = false;
      fail(err, box);
      return;
    }
  }
  const shelf = basket.filter((l) => !l.order_id);
  if (!shelf.length) {
    await showReceipt(null, handedOver);
    return;
  }
  const body = {
    channel: "store",
    lines: shelf.map((l) => ({ sku: l.sku, qty: l.qty, ...(l.reservation_id ? { reservation_id: l.reservation_id } : {}) })),
    ...(customer ? { customer_id: customer.customer_id } : {}),
    ...(redeem ? { redeem_points: redeem } : {}),
    payment_ref: $("sale-payment").value.trim(),
  };
  try {
    const r = await api.post("/api/v1/sales", body);
    await showReceipt(r, handedOver);
  } catch (err) {
    $("sale-finish").disabled = false;
    if (handedOver.length) showNotice(box, "warn", `Handed over: ${handedOver.map((o) => o.order.order_id).join(", ")}.`, "Those orders are done; finish the sale of the rest.");
    if (err instanceof ApiError && err.status === 409 && /allowance/.test(err.message)) {
      showNotice(box, "error", "The offline allowance does not cover these points.", "Redeem fewer points, or wait until the store is back online.");
    } else fail(err, box);
  }
}

/** The receipt on screen: the sale (with its QR) and the orders handed over with it. */
async function showReceipt(r, done = []) {
  const names = new Map(basket.map((l) => [l.sku, l.name]));
  $("sale-receipt-id").textContent = r ? r.receipt_id : "";
  $("sale-receipt-id").parentElement.hidden = !r; // only orders handed over: no sale, no receipt
  $("sale-receipt-lines").replaceChildren(...(r ? r.lines : []).map((l) => el("li", { text: `${l.qty} × ${l.name || names.get(l.sku) || l.sku} — ${euros(l.line_cents ?? l.unit_cents * l.qty)}` })));
  $("sale-receipt-sums").textContent = r ? [
    `Total ${euros(r.total_cents)}`,
    r.redeemed_cents ? `points ${r.points_redeemed} (−${euros(r.redeemed_cents)})` : null,
    `paid ${euros(r.paid_cents)}`,
    r.payment_ref ? `terminal ref ${r.payment_ref}` : null,
    r.points_earned ? `${r.points_earned} points earned` : null,
  ].filter(Boolean).join(" · ") : "";
  $("sale-receipt-orders").replaceChildren(...done.map(({ order, lines }) => el("li", { "data-order": order.order_id },
    el("strong", { text: `Order ${order.order_id} handed over` }),
    ` — ${lines.map((l) => `${l.qty} × ${l.name}`).join(", ")} (${euros(order.total_cents)}, click & collect)`)));
  $("sale-receipt-qr").replaceChildren();
  if (r) {
    try {
      const svg = await fetch(paths.receiptQr(r.receipt_id), { headers: { Authorization: `Bearer ${api.tokenSource()}` } });
      $("sale-receipt-qr").innerHTML = svg.ok ? await svg.text() : ""; // SVG produced by our own edge
    } catch { $("sale-receipt-qr").replaceChildren(); }
  }
  receiptShown(r, customer);
  clearNotice($("sale-notice"));
  $("sale-build").hidden = true;
  $("sale-receipt").hidden = false;
}

function newSale() {
  basket.length = 0;
  pickups.clear();
  handedOver.length = 0;
  $("sale-receipt-orders").replaceChildren();
  customer = null;
  $("sale-redeem").value = "";
  $("sale-payment").value = "";
  $("sale-receipt").hidden = true;
  $("sale-receipt-qr").replaceChildren();
  $("sale-build").hidden = false;
  renderBasket();
  renderCustomer();
  clearNotice($("sale-notice"));
  $("sale-code").focus();
}

// ---------- reservations ----------

export async function loadReservations() {
  const list = $("reservations-list");
  try {
    const rows = await api.get(`${paths.reservations()}?state=active`);
    const named = await Promise.all(rows.map(withNames));
    list.replaceChildren(named.length
      ? el("ul", { class: "stores" }, ...named.map((r) => el("li", {},
          el("span", {}, el("strong", { text: r.reservation_id }), ` ${r.qty} × ${r.product} — ${r.customer}, until ${new Date(r.expires_at).toLocaleString()}`),
          el("button", { type: "button", class: "secondary", onclick: () => sellReservation(r) }, "Sell it"))))
      : el("p", { class: "muted", text: "No active reservation." }));
  } catch (err) { fail(err, list); }
}

async function withNames(r) {
  const [product, customerRow] = await Promise.all([
    api.get(paths.product(r.sku)).catch(() => null),
    api.get(paths.customer(r.customer_id)).catch(() => null),
  ]);
  return { ...r, product: product ? product.name : r.sku, productRow: product, customer: customerRow ? customerRow.name : r.customer_id, customerRow };
}

async function lookupReservation(code) {
  const box = $("reservation-found");
  code = code.trim();
  if (!code) return;
  try {
    const r = await withNames(await api.get(`${paths.reservations()}/${encodeURIComponent(code)}`));
    box.replaceChildren(el("div", { class: "card" },
      el("h3", { text: `${r.qty} × ${r.product}` }),
      el("p", { text: `${r.customer} · reservation ${r.reservation_id} · ${r.state} · until ${new Date(r.expires_at).toLocaleString()}` }),
      r.state === "active" ? el("button", { type: "button", onclick: () => sellReservation(r) }, "Sell it") : el("p", { class: "muted", text: "Not active: it cannot be sold as a reservation." })));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) showNotice(box, "error", `No reservation ${code}.`, "Check the reference the kiosk showed the customer.");
    else fail(err, box);
  }
}

/** Put a reservation in the sale basket, with its customer identified. */
async function sellReservation(r) {
  document.querySelector('nav.tasks button[data-task="sale"]').click();
  if (r.productRow) add(r.productRow, r.qty, r.reservation_id);
  if (r.customerRow && (!customer || customer.customer_id !== r.customer_id)) await setCustomer(r.customerRow);
}

// ---------- receipt by e-mail ----------

/** After a sale: offer to e-mail the receipt (only a sale has one), to the customer's address if known. */
function receiptShown(r, who) {
  lastReceipt = r;
  $("sale-receipt-mail").hidden = !r;
  $("sale-receipt-email").value = who && who.email ? who.email : "";
  $("sale-receipt-mailed").replaceChildren();
  $("sale-receipt-send").disabled = false;
}

/** The hub sends the e-mail (the edge sends no mail): online at once, offline when the link is back. */
async function emailReceipt() {
  const box = $("sale-receipt-mailed");
  if (!lastReceipt) return;
  const email = $("sale-receipt-email").value.trim();
  if (!email) {
    showNotice(box, "warn", "Type the customer's e-mail address.", "Or skip it: the receipt on screen is enough.");
    return;
  }
  $("sale-receipt-send").disabled = true;
  try {
    const r = await api.post(paths.receiptEmail(lastReceipt.receipt_id), { email });
    showNotice(box, r.online ? "info" : "warn", r.message);
  } catch (err) {
    $("sale-receipt-send").disabled = false;
    if (err instanceof ApiError && err.status === 422) showNotice(box, "error", "That is not an e-mail address.", "Check it with the customer and send again.");
    else fail(err, box);
  }
}
