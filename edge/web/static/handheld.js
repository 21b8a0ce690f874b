// Staff handheld: PIN sign-in, price check, RFID count, receive, click & collect, returns, adjust.
import { Api, ApiError, el, euros, showNotice, clearNotice, subscribe } from "./api.js";
import { paths } from "./paths.js";
import { browserId } from "./device.js";
import { initSale, onSaleShown, saleScan, loadReservations } from "./handheld_sale.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("handheld-config").textContent);
// The staff token lives in sessionStorage: gone when the browser closes, never shared between tabs.
const SESSION = { token: "vitrine.staff.token", name: "vitrine.staff.name", role: "vitrine.staff.role" };
const DEVICE_KEY = "vitrine.handheld.device";
const SIGN_OUT_AFTER_MS = 15 * 60 * 1000;

const params = new URLSearchParams(location.search);
if (params.get("device")) localStorage.setItem(DEVICE_KEY, params.get("device"));
const device = () => localStorage.getItem(DEVICE_KEY) || "handheld-1";

const api = new Api(() => sessionStorage.getItem(SESSION.token));
let task = "price";
let scanStream = null;
let countStream = null;
let countId = null;
let currentOrder = null;
let lastActivity = Date.now();

function fail(err, box = $("notice")) {
  if (err instanceof ApiError) {
    if (err.status === 401) { signOut(); showNotice($("notice"), "error", "Your session has ended.", "Sign in again with your PIN."); return; }
    showNotice(box, "error", err.message, err.advice);
  } else {
    showNotice(box, "error", String(err.message || err), "Try again; if it persists, call IT support.");
  }
}

function ok(box, message) { showNotice(box, "info", message); }

// ---------- sign-in ----------

async function signIn(event) {
  event.preventDefault();
  const pin = $("pin").value;
  if (!/^[0-9]{4,12}$/.test(pin)) {
    showNotice($("notice"), "error", "A PIN is 4 to 12 digits.", "Type your PIN again.");
    return;
  }
  try {
    const r = await api.post(paths.signIn(), { pin, device: browserId(), label: device() });
    sessionStorage.setItem(SESSION.token, r.token);
    sessionStorage.setItem(SESSION.name, r.name);
    sessionStorage.setItem(SESSION.role, r.role);
    $("pin").value = "";
    clearNotice($("notice"));
    enter();
  } catch (err) {
    $("pin").value = "";
    if (err instanceof ApiError && err.status === 401) showNotice($("notice"), "error", err.message, "Type your PIN again.");
    else if (err instanceof ApiError && err.status === 429) showNotice($("notice"), "error", err.message);
    else fail(err);
  }
}

function signOut() {
  for (const key of Object.values(SESSION)) sessionStorage.removeItem(key);
  if (scanStream) scanStream.close();
  if (countStream) countStream.close();
  scanStream = countStream = null;
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("pin").focus();
}

function enter() {
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `${sessionStorage.getItem(SESSION.name)} (${sessionStorage.getItem(SESSION.role)})`;
  showTask(task);
  scanStream = subscribe(paths.scans(device()), () => sessionStorage.getItem(SESSION.token), { scan: onScan, message: onScan },
    (live) => {
      $("scanner-state").textContent = live ? `Scanner ${device()}: ready` : `Scanner ${device()}: offline — type codes instead`;
      $("scanner-state").dataset.live = String(live);
    });
}

function showTask(name) {
  task = name;
  for (const b of document.querySelectorAll("nav.tasks button")) b.setAttribute("aria-current", String(b.dataset.task === name));
  for (const s of document.querySelectorAll("section.task")) s.hidden = s.id !== `task-${name}`;
  clearNotice($("notice"));
  if (name === "collect") loadOrders();
  if (name === "count") loadZones();
  if (name === "sale") onSaleShown();
  if (name === "reservations") loadReservations();
  const first = document.querySelector(`#task-${name} input`);
  if (first) first.focus();
}

/** A scan fills the current task's code field and submits it. */
function onScan(scan) {
  const kind = scan.kind || scan.type;
  if (kind === "pickup_order" && task === "sale") return saleScan(scan);
  if (kind === "pickup_order") {
    showTask("collect");
    showOrder(scan.order_id, { code: scan.pickup_code || null });
    return;
  }
  if (kind === "rejected_token" || kind === "unknown") {
    showNotice($("notice"), "error", `Scan refused: ${scan.message}`, "Scan the product barcode, the customer's card or pickup QR again.");
    return;
  }
  if (task === "sale") return saleScan(scan);
  const text = scan.gtin || scan.card_id || "";
  const target = { price: "price-code", receive: "receive-code", adjust: "adjust-code", collect: "collect-code", returns: "returns-receipt" }[task];
  if (!target) return;
  $(target).value = text;
  if (task === "price" || task === "collect" || task === "returns") $(target).form.requestSubmit();
}

// ---------- price check ----------

/** "… · 2 min ago": how old a stock figure is (the edge computes age_s with its own clock). */
function withAge(text, ageS) {
  if (ageS === null || ageS === undefined) return text;
  const when = ageS < 60 ? "just now" : ageS < 3600 ? `${Math.floor(ageS / 60)} min ago`
    : ageS < 86400 ? `${Math.floor(ageS / 3600)} h ago` : `${Math.floor(ageS / 86400)} d ago`;
  return `${text} · ${when}`;
}

async function priceCheck(event) {
  event.preventDefault();
  const box = $("price-result");
  try {
    const p = await api.get(paths.product($("price-code").value.trim()));
    let levels = null;
    try { levels = await api.get(paths.stock(p.sku)); } catch { levels = null; }
    const elsewhere = levels ? levels.elsewhere || [] : [];
    const now = p.effective_cents ?? p.price_cents;
    box.replaceChildren(el("div", { class: "card", id: "price-card" },
      el("h3", { text: p.name }), el("p", { class: "muted", text: `${p.sku}${p.gtin ? " · " + p.gtin : ""}` }),
      el("p", { class: "big" }, p.promotion && p.price_cents !== now ? el("s", { class: "muted", text: euros(p.price_cents) }) : null,
        " ", now === null ? "not priced" : euros(now)),
      p.promotion ? el("p", {}, el("span", { class: "pill promo", text: `Promotion ${p.promotion.promo_id} until ${p.promotion.ends.slice(0, 10)}` })) : null,
      el("p", { id: "stock-here", text: withAge(`Stock here: ${p.on_hand} (available ${p.available}, ${p.on_hand - p.available} reserved)`, levels && levels.age_s) }),
      el("p", { id: "stock-elsewhere", class: "muted", text: elsewhere.length
        ? "Other stores: " + elsewhere.map((x) => withAge(`${x.store}: ${x.qty}`, x.age_s)).join("; ")
        : "No other store has it right now." })));
  } catch (err) { fail(err, box); }
}

// ---------- RFID count ----------

/** Zones covered by the store's RFID readers, for the count form. */
async function loadZones() {
  try {
    const states = await api.get(paths.tagZones());
    const select = $("count-zone");
    const have = new Set([...select.options].map((o) => o.value));
    for (const zone of Object.keys(states.zones).sort()) {
      if (!have.has(zone)) select.append(el("option", { value: zone, text: zone }));
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return;
    fail(err, $("count-result"));
  }
}

async function startCount(event) {
  event.preventDefault();
  const box = $("count-result");
  clearNotice(box);
  try {
    const zone = $("count-zone").value;
    const s = await api.post(paths.countStart(), zone ? { zone } : {});
    countId = s.session_id;
    $("count-live").hidden = false;
    $("count-start").disabled = true;
    renderCount({ tags: 0, skus: 0, reads: 0, elapsed_s: 0 });
    countStream = subscribe(paths.countProgress(countId), () => sessionStorage.getItem(SESSION.token),
      { progress: renderCount, finished: renderCountResult }, null);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      showNotice(box, "error", "RFID counting is not available on this edge.", "Ask IT to enable the RFID readers (device profiles).");
    } else fail(err, box);
  }
}

/** Live progress: the bar fills as new tags stop appearing (a count is done when the shelf is read). */
let lastTags = 0;
let steadySince = 0;
function renderCount(p) {
  $("count-tags").textContent = p.tags;
  $("count-skus").textContent = p.skus;
  $("count-reads").textContent = p.reads;
  $("count-elapsed").textContent = Math.round(p.elapsed_s ?? 0);
  if (p.tags !== lastTags) { lastTags = p.tags; steadySince = p.elapsed_s ?? 0; }
  const steady = Math.max(0, (p.elapsed_s ?? 0) - steadySince);
  const pct = p.tags ? Math.min(100, Math.round(50 + 50 * Math.min(1, steady / 5))) : Math.min(50, Math.round(10 * (p.elapsed_s ?? 0)));
  $("count-bar").setAttribute("aria-valuenow", String(pct));
  $("count-bar").firstElementChild.style.width = `${pct}%`;
}

/** Finish the count; one that would empty much of the book comes back asking for confirmation. */
async function finishCount(confirm = false) {
  const box = $("count-result");
  $("count-confirm").hidden = true;
  try {
    renderCountResult(await api.post(paths.countFinish(countId), confirm ? { confirm: true } : {}));
  } catch (err) {
    if (err instanceof ApiError && err.reason === "confirm_count") {
      $("count-confirm-text").textContent = err.message;
      $("count-confirm").hidden = false;
      $("count-keep").focus();
    } else fail(err, box);
  }
}

function renderCountResult(r) {
  if (countStream) countStream.close();
  countStream = null;
  $("count-live").hidden = true;
  $("count-start").disabled = false;
  const lines = r.lines || [];
  const products = r.products || [];
  const off = products.filter((p) => p.differs);
  const unknown = (r.unresolved_epcs || []).length;
  if (!(r.op_ids || []).length) {  // no tag read was a product: the server recorded nothing
    $("count-result").replaceChildren(el("div", { class: "notice warn", role: "status", id: "count-done" },
      el("strong", { text: "Nothing recorded: no tag read is a product of this store's catalogue. The book is unchanged." }),
      el("div", { text: `${unknown} tags read: check their labels, or that the right reader covers these zones.` })));
    return;
  }
  $("count-result").replaceChildren(el("div", { class: "notice info", role: "status", id: "count-done" },
    el("strong", { text: `Count recorded: ${products.length} products, ${off.length} differ from the book.` }),
    r.full_store ? el("div", { text: "Full-store count: on-hand is now what was counted (unlocated stock included)." }) : null,
    unknown ? el("div", { text: `${unknown} tags are not in the catalogue: check their labels.` }) : null),
    el("table", { id: "count-products" }, el("thead", {}, el("tr", {}, el("th", { text: "SKU" }), el("th", { text: "Product" }), el("th", { class: "num", text: "Book" }), el("th", { class: "num", text: "Counted" }))),
      el("tbody", {}, ...products.slice(0, 100).map((p) => el("tr", { class: p.differs ? "differs" : "", "data-sku": p.sku }, el("td", { text: p.sku }), el("td", {}, el("span", { class: "pname", text: p.name })),
        el("td", { class: "num", text: String(p.book) }), el("td", { class: "num", text: String(p.counted) }))))),
    el("details", {}, el("summary", { text: "By zone" }),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Product" }), el("th", { text: "Zone" }), el("th", { class: "num", text: "Book" }), el("th", { class: "num", text: "Counted" }))),
        el("tbody", {}, ...lines.slice(0, 200).map((l) => el("tr", {}, el("td", { text: l.name || l.sku }), el("td", { text: l.zone }),
          el("td", { class: "num", text: String(l.book) }), el("td", { class: "num", text: String(l.qty) })))))));
}

// ---------- receive and adjust ----------

/** A typed or scanned code (GTIN or SKU) → the product, so bodies carry the SKU. */
async function resolve(code) {
  return api.get(paths.product(code.trim()));
}

async function receive(event) {
  event.preventDefault();
  const box = $("receive-result");
  try {
    const p = await resolve($("receive-code").value);
    const qty = Number($("receive-qty").value);
    const ref = $("receive-ref").value.trim();
    const r = await api.post(paths.receive(), { sku: p.sku, qty, ...(ref ? { ref } : {}) });
    ok(box, `Received ${qty} × ${p.name} into ${r.zone}. On hand is now ${r.on_hand}.`);
    $("receive-form").reset();
  } catch (err) { fail(err, box); }
}

const MAX_ADJUST = 9999;
let pendingAdjust = null;

async function adjust(event) {
  event.preventDefault();
  const box = $("adjust-result");
  const qty = Number($("adjust-qty").value);
  if (!Number.isInteger(qty) || qty === 0 || Math.abs(qty) > MAX_ADJUST) {
    showNotice(box, "error", `The change must be a whole number from -${MAX_ADJUST} to ${MAX_ADJUST}, not zero.`, "Enter the number of units to add (positive) or remove (negative).");
    return;
  }
  const reason = $("adjust-reason").value;
  const counterpart = $("adjust-counterpart").value.trim();
  if (reason === "transfer" && !counterpart) {
    showNotice(box, "error", "A transfer needs the other store.", "Type the other store's id.");
    return;
  }
  try {
    const p = await resolve($("adjust-code").value);
    await recordAdjust({ sku: p.sku, qty, reason, ...(reason === "transfer" ? { counterpart } : {}) }, p.name, false);
  } catch (err) { fail(err, box); }
}

/** Send an adjustment; a large one comes back asking for confirmation, shown with the product's name. */
async function recordAdjust(body, name, confirm) {
  const box = $("adjust-result");
  clearNotice(box);
  try {
    const r = await api.post(paths.stockAdjust(), { ...body, confirm });
    const where = r.ref ? ` (${r.ref})` : "";
    ok(box, `Recorded ${body.qty > 0 ? "+" : ""}${body.qty} for ${name}${where}. On hand is now ${r.on_hand}.`);
    $("adjust-form").reset();
    $("adjust-transfer").hidden = true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === "confirm_large") {
      pendingAdjust = { body, name };
      $("adjust-confirm-text").textContent = err.message;
      $("adjust-confirm").hidden = false;
      $("adjust-cancel").focus();
    } else if (err instanceof ApiError && err.status === 403) {
      showNotice(box, "error", "Stock adjustments need a manager.", "Ask a manager to sign in on this handheld with their PIN.");
    } else fail(err, box);
  }
}

function closeAdjustConfirm() {
  $("adjust-confirm").hidden = true;
  pendingAdjust = null;
}

// ---------- click & collect ----------

async function loadOrders() {
  const list = $("collect-list");
  try {
    const [placed, picked] = await Promise.all([api.get(paths.orders("placed")), api.get(paths.orders("picked"))]);
    const orders = [...placed, ...picked].filter((o) => o.kind === "click_collect" || o.kind === "reserve_in_store" || !o.kind);
    const shown = await Promise.all(orders.map(named));
    list.replaceChildren(...(shown.length ? shown.map(orderCard) : [el("p", { class: "muted", text: "No order waiting." })]));
  } catch (err) { fail(err, list); }
}

const names = new Map();
/** Product and customer names for order cards, fetched once each. */
async function named(o) {
  const want = [...o.lines.map((l) => `p:${l.sku}`), `c:${o.customer_id}`].filter((k) => !names.has(k));
  await Promise.all(want.map(async (k) => {
    const id = k.slice(2);
    try {
      const r = await api.get(k.startsWith("p:") ? paths.product(id) : paths.customer(id));
      names.set(k, r.name);
    } catch { names.set(k, id); }
  }));
  return {
    ...o, customer_name: names.get(`c:${o.customer_id}`),
    lines: o.lines.map((l) => ({ ...l, name: names.get(`p:${l.sku}`) })),
  };
}

function orderCard(o) {
  const lines = (o.lines || []).map((l) => el("li", { text: `${l.qty} × ${l.name || l.sku}` }));
  const actions = [];
  if (o.state === "placed") actions.push(el("button", { type: "button", class: "pick", "data-order": o.order_id, onclick: () => pick(o.order_id), text: "Mark picked" }));
  if (o.state === "picked") actions.push(el("button", { type: "button", class: "handover", "data-order": o.order_id, onclick: () => handOver(o), text: "Hand over to customer" }));
  return el("div", { class: "order", "data-order": o.order_id, "data-state": o.state },
    el("strong", { text: `${o.order_id}` }), " ", el("span", { class: "pill warn", text: o.state }),
    el("div", { class: "muted", text: o.customer_name || o.customer_id || "" }), el("ul", {}, ...lines), el("div", { class: "row" }, ...actions));
}

async function pick(orderId) {
  try {
    await api.post(paths.orderPick(orderId), {});
    ok($("notice"), `Order ${orderId} picked. Put it on the pickup shelf.`);
    loadOrders();
  } catch (err) { fail(err); }
}

/** Typed order number: the collector must then prove who they are (card, email or phone). */
async function findOrder(event) {
  event.preventDefault();
  const code = $("collect-code").value.trim();
  if (!code) return;
  if (code.length > 64 || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(code)) {
    showNotice($("collect-current"), "error", "That is not an order number.", "Scan the customer's pickup QR with the scanner, or type the order number.");
    return;
  }
  await showOrder(code, null);
}

/** A pickup QR verified by the edge's scanner pipeline proves the collector holds the order's code. */
async function showOrder(orderId, pickup) {
  const box = $("collect-current");
  clearNotice($("collect-notice"));
  try {
    const order = await named(await api.get(paths.order(orderId)));
    currentOrder = { ...order, pickup };
    box.replaceChildren(orderCard(order));
    if (order.state === "picked" && !pickup) {
      box.append(el("label", { for: "collect-identity", text: "Customer's loyalty card, email or phone" }),
        el("input", { id: "collect-identity", autocomplete: "off", maxlength: "200" }));
    }
    if (order.state === "placed") showNotice($("notice"), "warn", `Order ${order.order_id} is not picked yet.`, "Pick it first, then hand it over.");
  } catch (err) { fail(err, box); }
}

async function handOver(order) {
  const box = $("collect-current");
  const mine = currentOrder && currentOrder.order_id === order.order_id ? currentOrder : null;
  let customer = mine && mine.pickup ? order.customer_id : "";
  const identity = $("collect-identity");
  if (!customer && identity) customer = identity.value.trim();
  if (!customer) {
    await showOrder(order.order_id, null);
    showNotice($("collect-notice"), "warn", "Check who is collecting.", "Scan the customer's pickup QR, or type their loyalty card, email or phone.");
    return;
  }
  try {
    const body = { customer, ...(mine && mine.pickup && mine.pickup.code ? { pickup_code: mine.pickup.code } : {}) };
    const r = await api.post(paths.orderCollect(order.order_id), body);
    clearNotice($("notice"));
    box.replaceChildren(el("div", { class: "notice info", role: "status", id: "handover-done" },
      el("strong", { text: `Order ${order.order_id} handed over.` }), el("div", { text: `State: ${r.state}. Thank the customer.` })));
    clearNotice($("collect-notice"));
    currentOrder = null;
    $("collect-code").value = "";
    loadOrders();
  } catch (err) { fail(err, $("collect-notice")); }
}

// ---------- returns ----------

/** A receipt or an online order by its number, whichever store or channel sold it (the edge asks
 * the cloud for sales it never saw). */
async function findReceipt(event) {
  event.preventDefault();
  const box = $("returns-lines");
  const id = $("returns-receipt").value.trim();
  let source;
  const kind = id.includes("@") ? "email" : (/^VC-/i.test(id) ? "card" : null);
  if (kind) { // a customer lookup: what they bought in this store
    try {
      const c = await api.get(paths.customerBy(kind, id));
      const r = await api.get(paths.customerReturnable(c.customer_id));
      source = { key: r.key, lines: r.lines, label: `Purchases of ${c.name || c.customer_id} in this store` };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        showNotice(box, "error", `No customer with ${kind} ${id}.`, "Check the spelling, or use the receipt or order number.");
      } else fail(err, box);
      return;
    }
  } else try {
    const r = await api.get(paths.returnable(id));
    const what = r.kind === "order" ? `Online order ${r.ref}` : `Receipt ${r.ref}`;
    source = { key: r.key, lines: r.lines, label: `${what}${r.sold_here ? "" : " (sold elsewhere: the cloud confirms what is still returnable)"}` };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      showNotice(box, "error", `No receipt or order ${id}.`, err.message && err.message.includes("cloud cannot be reached")
        ? "The cloud cannot be reached: only this store's receipts can be found now. Keep the goods and try again once the store is back online."
        : "Check the number on the receipt or the order e-mail, then try again.");
    } else fail(err, box);
    return;
  }
  // What is left to return (sold minus what was already brought back), not the quantity sold.
  const rows = source.lines.map((l, i) => {
    const left = l.left ?? l.qty;
    return el("tr", { "data-left": String(left) },
      el("td", { text: l.name || l.sku }), el("td", { class: "num", text: `${l.qty}` }),
      el("td", { class: "num", text: `${l.qty - left}` }),
      el("td", {}, left > 0
        ? el("input", { type: "number", min: "0", max: String(left), value: "0", "data-sku": l.sku, "aria-label": `Return quantity for ${l.name || l.sku} (${left} left)`, id: `ret-${i}` })
        : el("span", { class: "muted", text: "all returned" })));
  });
  box.replaceChildren(el("p", { class: "muted", text: source.label }),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Item" }), el("th", { class: "num", text: "Sold" }), el("th", { class: "num", text: "Returned" }), el("th", { text: "Return" }))),
      el("tbody", {}, ...rows)), el("p", {}, el("button", { type: "button", id: "return-submit", onclick: () => submitReturn(source.key), text: "Record return" })));
}

async function submitReturn(key) {
  const box = $("returns-lines");
  const lines = [...box.querySelectorAll("input[data-sku]")].map((i) => ({ sku: i.dataset.sku, qty: Number(i.value) })).filter((l) => l.qty > 0);
  if (!lines.length) { showNotice($("notice"), "error", "Nothing selected to return.", "Enter a quantity on at least one line."); return; }
  try {
    const records = await api.post(paths.returns(), { ...key, lines });
    const refund = records.reduce((a, r) => a + r.refund_cents, 0);
    const points = records.reduce((a, r) => a + r.points_reversed, 0);
    box.replaceChildren(el("div", { class: "notice info", role: "status", id: "return-done" },
      el("strong", { text: `Return ${records.map((r) => r.return_id).join(", ")} recorded.` }),
      el("div", { text: `Refund ${euros(refund)} to the customer; ${points} points reversed. Put the items back on the shelf or in the damaged bin.` })));
  } catch (err) { fail(err, box); }
}

// ---------- wiring ----------

$("pin-form").addEventListener("submit", signIn);
$("pinpad").addEventListener("click", (e) => {
  const d = e.target.dataset && e.target.dataset.digit;
  if (!d) return;
  if (d === "clear") $("pin").value = "";
  else if ($("pin").value.length < 12) $("pin").value += d;
});
$("sign-out").addEventListener("click", signOut);
for (const b of document.querySelectorAll("nav.tasks button")) b.addEventListener("click", () => showTask(b.dataset.task));
$("price-form").addEventListener("submit", priceCheck);
$("count-form").addEventListener("submit", startCount);
$("count-finish").addEventListener("click", () => finishCount(false));
$("count-go").addEventListener("click", () => finishCount(true));
$("count-keep").addEventListener("click", () => { $("count-confirm").hidden = true; $("count-finish").focus(); });
$("receive-form").addEventListener("submit", receive);
$("adjust-form").addEventListener("submit", adjust);
initSale({ api, fail });
$("adjust-reason").addEventListener("change", () => { $("adjust-transfer").hidden = $("adjust-reason").value !== "transfer"; });
$("adjust-cancel").addEventListener("click", () => { closeAdjustConfirm(); $("adjust-qty").focus(); });
$("adjust-go").addEventListener("click", () => {
  const pending = pendingAdjust;
  closeAdjustConfirm();
  if (pending) recordAdjust(pending.body, pending.name, true);
});
$("collect-form").addEventListener("submit", findOrder);
$("returns-form").addEventListener("submit", findReceipt);
for (const evt of ["pointerdown", "keydown"]) document.addEventListener(evt, () => { lastActivity = Date.now(); }, { passive: true });
setInterval(() => {
  if (sessionStorage.getItem(SESSION.token) && Date.now() - lastActivity > SIGN_OUT_AFTER_MS) {
    signOut();
    showNotice($("notice"), "info", "Signed out after 15 minutes without activity.", "Sign in again with your PIN.");
  }
}, 10000);
if (sessionStorage.getItem(SESSION.token)) enter(); else $("pin").focus();
