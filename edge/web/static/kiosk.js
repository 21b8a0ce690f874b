// Customer kiosk: product by scan (live from the kiosk's scanner) or search, loyalty card, reserve,
// order from another store, join the programme; all customer data is wiped after inactivity.
import { Api, ApiError, el, euros, showNotice, clearNotice, subscribe } from "./api.js";
import { paths } from "./paths.js";

const strings = JSON.parse(document.getElementById("kiosk-strings").textContent);
const config = JSON.parse(document.getElementById("kiosk-config").textContent);
const $ = (id) => document.getElementById(id);
const STORAGE = { token: "vitrine.kiosk.token", device: "vitrine.kiosk.device", lang: "vitrine.kiosk.lang" };

let lang = localStorage.getItem(STORAGE.lang) || config.lang;
let customer = null; // {customer_id, name, card, points}
// The identified customer's signed loyalty-card token (from the scanned card QR or from enrolment):
// the edge opens a customer's data to a kiosk only with it (header X-Vitrine-Card). Memory only.
let cardToken = null;
let product = null;
let lastActivity = Date.now();
let warningShown = false;
let stream = null;

const CARD_HEADER = "X-Vitrine-Card";
const api = new Api(() => localStorage.getItem(STORAGE.token), {
  extraHeaders: () => (cardToken ? { [CARD_HEADER]: cardToken } : {}),
});

function t(key, vars = {}) {
  const s = (strings[lang] && strings[lang][key]) || strings.en[key] || key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  $("terms-version").textContent = t("terms_version", { version: $("terms").dataset.version });
  $("terms-text").replaceChildren(...t("terms_text").split("\n").map((para) => el("p", { text: para })));
  $("lang-fr").setAttribute("aria-pressed", String(lang === "fr"));
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  if (product) renderProduct(product);
  if (customer) renderCustomerHeader();
}

function setLanguage(next) {
  lang = next;
  localStorage.setItem(STORAGE.lang, lang);
  applyLanguage();
}

/** Turn any failure into a message a customer can act on. */
function fail(err, notFoundKey = "err_not_found") {
  let key = "err_generic";
  if (err instanceof ApiError) {
    if (err.status === 0) key = "err_network";
    else if (err.status === 401 || err.status === 403) key = "err_auth";
    else if (err.status === 404) key = notFoundKey;
    else if (err.reason && strings.en[`err_${err.reason}`]) key = `err_${err.reason}`;
    else if (err.status === 409 || err.status === 422) key = "err_refused";
  }
  // the server's own words are for staff and logs; the customer reads the translated reason
  showNotice($("notice"), "error", t(key));
}

function formatDate(iso) {
  return new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", { dateStyle: "full", timeStyle: "short" }).format(new Date(iso));
}

function info(message) { showNotice($("notice"), "info", message); }

function show(section) {
  const inWorkspace = ["results", "product", "join"].includes(section);
  $("idle").hidden = section !== "idle";
  $("setup").hidden = section !== "setup";
  $("workspace").hidden = !(inWorkspace || customer);
  for (const id of ["results", "product", "join"]) $(id).hidden = id !== section;
  $("customer").hidden = !customer;
  $("card-hint").hidden = Boolean(customer) || section === "join";
  $("end-session").hidden = !customer;
  if (section === "idle" && customer) $("workspace").hidden = false;
}

// ---------- products ----------

function tile(item) {
  return el("button", { type: "button", class: "tile", "data-sku": item.sku, onclick: () => openProduct(item.sku) },
    el("span", { class: "name", text: item.name }),
    item.price_cents !== undefined ? el("span", { class: "tprice", text: euros(item.price_cents) }) : null);
}

/** Show a product. ``scanned``: it came from the scanner, so it is the customer's action only when
 * it names a product here (a camera seeing a poster's barcode must not keep a session alive). */
async function openProduct(code, scanned = false) {
  if (!scanned) clearNotice($("notice"));
  try {
    const item = await api.get(paths.product(code));
    if (scanned) { touch(); clearNotice($("notice")); }
    try {
      const levels = await api.get(paths.stock(item.sku));
      item.stock_age_s = levels.age_s;
      item.other_stores = levels.elsewhere ?? levels.other_stores;
    } catch { item.other_stores = item.other_stores ?? {}; }
    product = item;
    renderProduct(item);
    show("product");
    loadGoesWellWith(item.sku);
  } catch (err) {
    if (scanned && err instanceof ApiError && err.status === 404) return toast(t("scan_unknown"));
    if (scanned) touch();
    fail(err);
  }
}

function promoLabel(promo) {
  if (promo.kind === "percent") return `-${promo.value} %`;
  if (promo.kind === "amount_off") return `-${euros(promo.value)}`;
  if (promo.kind === "price") return euros(promo.value);
  return promo.label || "";
}

/** Other stores' stock as [{store, qty, age_s}], from the stock levels (``elsewhere``, or the older map). */
function otherStores(item) {
  const raw = item.other_stores || {};
  const rows = Array.isArray(raw) ? raw : Object.entries(raw).map(([store, qty]) => ({ store, qty }));
  return rows.filter((s) => s.qty > 0).sort((a, b) => b.qty - a.qty);
}

/** How old a figure is, in words ("2 min ago"); empty when unknown. */
function ago(ageS) {
  if (ageS === null || ageS === undefined) return "";
  if (ageS < 60) return t("ago_now");
  if (ageS < 3600) return t("ago_min", { n: Math.floor(ageS / 60) });
  if (ageS < 86400) return t("ago_h", { n: Math.floor(ageS / 3600) });
  return t("ago_d", { n: Math.floor(ageS / 86400) });
}

function withAge(text, ageS) { const when = ago(ageS); return when ? `${text} · ${when}` : text; }

function renderProduct(item) {
  $("product-name").textContent = item.name;
  $("product-ref").textContent = `${item.sku}${item.gtin ? " · " + item.gtin : ""}`;
  const promo = item.promotion;
  const now = item.effective_cents ?? item.price_cents;
  const price = $("product-price");
  price.replaceChildren();
  if (promo && item.price_cents !== null && item.price_cents !== now) price.append(el("s", { text: euros(item.price_cents) }));
  price.append(now === null || now === undefined ? "–" : euros(now));
  $("product-promo").replaceChildren(promo ? el("span", { class: "pill promo", id: "promo", text: `${t("promotion")} ${promoLabel(promo)}` }) : "");
  const qty = item.available ?? item.on_hand ?? 0;
  $("product-stock").replaceChildren(qty > 0
    ? el("span", { class: "pill ok", id: "stock-here", "data-qty": qty, text: withAge(t("in_stock_n", { n: qty }), item.stock_age_s) })
    : el("span", { class: "pill bad", id: "stock-here", "data-qty": 0, text: t("out_of_stock") }));
  $("reserve-here").disabled = qty <= 0;
  const stores = otherStores(item);
  $("product-stores").replaceChildren(...(stores.length ? stores.map((s) => el("li", { "data-store": s.store },
    el("span", {}, el("strong", { text: `${s.store}:` }), " ", el("span", { class: "pill ok", text: withAge(String(s.qty), s.age_s) })),
    el("button", { type: "button", class: "secondary", onclick: () => orderFrom(s.store), text: t("order_from", { store: s.store }) }),
  )) : [el("li", { class: "muted", text: t("no_other_stores") })]));
}

async function loadGoesWellWith(sku) {
  const box = $("product-recos");
  box.replaceChildren();
  try {
    const recos = await api.get(paths.goesWellWith(sku));
    box.replaceChildren(...itemsOf(recos).map(tile));
  } catch (err) {
    box.replaceChildren(el("p", { class: "muted", text: "–" }));
  }
}

function itemsOf(data) { return Array.isArray(data) ? data : (data.items || data.recommendations || []); }

async function search(q) {
  if (!q.trim()) return;
  clearNotice($("notice"));
  if (/^\d{8,14}$/.test(q.trim())) return openProduct(q.trim());
  try {
    const items = itemsOf(await api.get(paths.search(q.trim())));
    $("results-list").replaceChildren(...(items.length ? items.map(tile) : [el("p", { text: t("no_results") })]));
    show("results");
  } catch (err) {
    fail(err);
  }
}

// ---------- customer ----------

/** Identify the customer from their scanned card: ``card`` is its number, ``token`` the signed QR text. */
async function identify(card, token) {
  clearNotice($("notice"));
  const previous = cardToken;
  cardToken = token;
  try {
    const found = await api.get(paths.customerByCard(card));
    try { found.points = (await api.get(paths.loyalty(found.customer_id))).balance; } catch { found.points = null; }
    customer = found;
    renderCustomerHeader();
    show(product ? "product" : "idle");
    $("workspace").hidden = false;
    loadForYou();
    loadWishlist();
    if (product) loadGoesWellWith(product.sku);
  } catch (err) {
    cardToken = previous; // a card that does not open keeps the current customer's session as it was
    fail(err, "err_card");
  }
}

function renderCustomerHeader() {
  const full = (customer.name || "").trim();
  // first name only on a public screen; an account known only by number keeps it ("Customer 17850")
  const name = /^\S+ \d+$/.test(full) ? full : full.split(" ")[0];
  $("customer-welcome").textContent = name ? t("welcome", { name }) : t("welcome_anon");
  $("customer-points").textContent = customer.points === null ? "" : t("points", { n: customer.points ?? 0 });
}

/** "For you": the customer's suggestions; a member with no history (or a failed call) gets this
 * store's popular items with the same store rules, so the list is never empty while stock exists. */
async function loadForYou() {
  if (!customer) return;
  let items = [];
  try { items = itemsOf(await api.get(paths.forYou(customer.customer_id))); } catch { items = []; }
  if (!items.length) {
    try { items = itemsOf(await api.post(paths.basketRecos(), { skus: [], k: 6 })); } catch { items = []; }
  }
  if (customer) $("customer-recos").replaceChildren(...items.slice(0, 6).map(tile));
}

async function loadWishlist() {
  if (!customer) return;
  const box = $("customer-wishlist");
  try {
    const data = await api.get(paths.wishlist(customer.customer_id));
    const skus = (data.skus || itemsOf(data).map((w) => w.sku)).slice(0, 8);
    const names = await Promise.all(skus.map((sku) => api.get(paths.product(sku)).then((p) => p.name, () => sku)));
    box.replaceChildren(...(skus.length
      ? skus.map((sku, i) => el("li", {}, el("button", { type: "button", class: "secondary", onclick: () => openProduct(sku), text: names[i] })))
      : [el("li", { class: "muted", text: t("wishlist_empty") })]));
  } catch { box.replaceChildren(); }
}

async function reserveHere() {
  if (!product) return;
  if (!customer) return showNotice($("notice"), "warn", t("need_card"));
  try {
    const r = await api.post(paths.reservations(), { customer_id: customer.customer_id, sku: product.sku, qty: 1, hours: 48 });
    const until = r.expires_at ? formatDate(r.expires_at) : "";
    info(t("reserved", { id: r.reservation_id, until }));
    $("notice").firstChild.id = "reservation-done";
    const fresh = await api.get(paths.product(product.sku));
    product = { ...product, available: fresh.available, on_hand: fresh.on_hand };
    renderProduct(product);
  } catch (err) { fail(err); }
}

let orderStore = null;

function orderFrom(store) {
  if (!product) return;
  if (!customer) return showNotice($("notice"), "warn", t("need_card"));
  orderStore = store;
  $("order-title").textContent = t("order_ask", { name: product.name, store });
  $("order-qty").value = "1";
  $("order-ask").hidden = false;
  $("order-done").hidden = true;
  $("order-dialog").hidden = false;
  $("order-qty").focus();
}

function closeOrder() {
  $("order-dialog").hidden = true;
  $("order-qr").replaceChildren();
  for (const id of ["order-code", "order-done-text", "order-title"]) $(id).textContent = "";
  orderStore = null;
}

async function confirmOrder() {
  if (!product || !customer || !orderStore) return closeOrder();
  const qty = Number($("order-qty").value);
  if (!Number.isInteger(qty) || qty < 1 || qty > 5) return showNotice($("notice"), "warn", t("order_bad_qty"));
  const button = $("order-confirm");
  button.disabled = true; // one tap, one order
  try {
    const o = await api.post(paths.pickupOrder(), { customer_id: customer.customer_id, sku: product.sku, qty, store: orderStore });
    $("order-done-text").textContent = t("order_done", { qty: o.qty, name: product.name, store: o.store });
    $("order-code").textContent = o.pickup_code;
    $("order-qr").innerHTML = o.pickup_qr_svg; // SVG produced by our own edge
    $("order-ask").hidden = true;
    $("order-done").hidden = false;
    clearNotice($("notice"));
  } catch (err) {
    closeOrder();
    if (err instanceof ApiError && err.reason === "no_cloud_link") showNotice($("notice"), "warn", t("err_no_cloud"));
    // a refusal the page knows is read in the kiosk's language; the hub's own words otherwise
    else if (err instanceof ApiError && err.reason && strings.en[`err_${err.reason}`]) showNotice($("notice"), "warn", t(`err_${err.reason}`));
    else if (err instanceof ApiError && err.reason) showNotice($("notice"), "warn", err.message);
    else fail(err);
  } finally {
    button.disabled = false;
  }
}

async function addWish() {
  if (!product) return;
  if (!customer) return showNotice($("notice"), "warn", t("need_card"));
  try {
    await api.put(paths.wishlistItem(customer.customer_id, product.sku), {});
    info(t("added_wishlist"));
    loadWishlist();
  } catch (err) { fail(err); }
}

async function join(event) {
  event.preventDefault();
  const name = $("join-name").value.trim();
  if (!name) return showNotice($("notice"), "warn", t("join_need_name"));
  if (!$("join-terms").checked) return showNotice($("notice"), "warn", t("join_need_terms"));
  try {
    const email = $("join-email").value.trim();
    const c = await api.post(paths.enrol(), {
      name, ...(email ? { email } : {}), consent_marketing: $("join-marketing").checked,
      terms_version: $("terms").dataset.version, // the version of the notice shown above the box
      // the marketing box is part of that notice: its version is the wording the customer agreed to
      ...($("join-marketing").checked ? { consent_wording: $("terms").dataset.version } : {}),
    });
    cardToken = c.card_token; // the new member continues the session with their new card
    customer = { customer_id: c.customer_id, name: c.name, card: c.card, points: 0 };
    renderCustomerHeader();
    loadForYou(); // suggestions from the first minute, before any purchase
    loadWishlist();
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${localStorage.getItem(STORAGE.token)}` };
    if (cardToken) headers[CARD_HEADER] = cardToken;
    const svg = await fetch(paths.cardQr(), {
      method: "POST", headers, body: JSON.stringify({ customer_id: c.customer_id }),
    });
    if (!svg.ok) throw new ApiError(svg.status, "qr", "");
    $("join-qr").innerHTML = await svg.text(); // SVG produced by our own edge
    $("join-card-number").textContent = t("card_number", { card: c.card });
    $("join-form").hidden = true;
    $("join-card").hidden = false;
    show("join");
    clearNotice($("notice"));
  } catch (err) { fail(err); }
}

// ---------- scans ----------

/** A classified scan pushed by the edge's device hub (see docs/devices.md). */
function onScan(scan) {
  const kind = scan.kind;
  // Only what the customer can have meant counts as their action: a product or a card. A code
  // nobody asked for (a camera seeing a poster) neither keeps the session alive nor covers the screen.
  if (kind === "loyalty_card") { touch(); return identify(scan.card_id, scan.text); }
  if ((kind === "gtin" || kind === "gs1_digital_link" || kind === "gs1_element_string") && scan.gtin) {
    return openProduct(scan.gtin, true);
  }
  if (kind === "rejected_token") { touch(); return showNotice($("notice"), "error", t("err_card")); }
  toast(t("scan_stray"));
}

let toastTimer = null;
/** A short notice that fades by itself, below everything the customer is reading. */
function toast(message) {
  const box = $("scan-toast");
  box.textContent = message;
  box.classList.remove("fading");
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.classList.add("fading");
    toastTimer = setTimeout(() => { box.hidden = true; box.classList.remove("fading"); }, 600);
  }, 3000);
}

function startScanner() {
  const device = localStorage.getItem(STORAGE.device);
  if (stream) stream.close();
  stream = subscribe(paths.scans(device), () => localStorage.getItem(STORAGE.token), { scan: onScan, message: onScan },
    (live) => {
      const state = $("scanner-state");
      state.dataset.i18n = live ? "scanner_live" : "scanner_off";
      state.dataset.live = String(live);
      state.textContent = t(state.dataset.i18n);
    });
}

// ---------- session timeout ----------

function touch() {
  lastActivity = Date.now();
  if (warningShown) { warningShown = false; $("still-there").hidden = true; }
}

function hasCustomerData() {
  return Boolean(customer || product || !$("results").hidden || !$("join").hidden);
}

/** Forget everything about the current customer: state, rendered content, form fields. */
function clearSession(showMessage = true) {
  customer = null;
  cardToken = null;
  product = null;
  for (const id of ["results-list", "product-recos", "product-stores", "customer-recos", "customer-wishlist", "join-qr"]) {
    $(id).replaceChildren();
  }
  for (const id of ["product-name", "product-ref", "customer-welcome", "customer-points", "join-card-number"]) {
    $(id).textContent = "";
  }
  $("join-form").reset();
  $("search-form").reset();
  $("join-form").hidden = false;
  $("join-card").hidden = true;
  $("still-there").hidden = true;
  closeOrder();
  warningShown = false;
  lang = config.lang;
  localStorage.setItem(STORAGE.lang, lang);
  applyLanguage();
  show("idle");
  if (showMessage) info(t("cleared")); else clearNotice($("notice"));
}

function tick() {
  if (!hasCustomerData()) return;
  const idle = (Date.now() - lastActivity) / 1000;
  if (idle >= config.idleSeconds + config.warningSeconds) clearSession(true);
  else if (idle >= config.idleSeconds && !warningShown) { warningShown = true; $("still-there").hidden = false; $("still-here").focus(); }
}

// ---------- provisioning ----------

async function provision(event) {
  event.preventDefault();
  const token = $("setup-token").value.trim();
  // A kiosk device token (vk1.<session>.<mac>) names the only session it may reach: use that one.
  const device = token.startsWith("vk1.") ? token.slice(4, token.lastIndexOf(".")) : $("setup-device").value.trim();
  localStorage.setItem(STORAGE.token, token);
  try {
    const me = await api.get(paths.whoami());
    if (me.role !== "kiosk") throw new ApiError(403, "not a kiosk token", "");
    localStorage.setItem(STORAGE.device, device);
    $("setup-form").reset();
    start();
  } catch (err) {
    localStorage.removeItem(STORAGE.token);
    showNotice($("notice"), "error", t("setup_bad"));
  }
}

function start() {
  if (!localStorage.getItem(STORAGE.token) || !localStorage.getItem(STORAGE.device)) { show("setup"); return; }
  clearSession(false);
  startScanner();
}

for (const evt of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(evt, touch, { passive: true });
$("still-here").addEventListener("click", touch);
$("lang-fr").addEventListener("click", () => setLanguage("fr"));
$("lang-en").addEventListener("click", () => setLanguage("en"));
$("home").addEventListener("click", () => { clearNotice($("notice")); product = null; show("idle"); });
$("end-session").addEventListener("click", () => clearSession(true));
$("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("search-q").value); });
for (const id of ["join-open", "join-open-2"]) $(id).addEventListener("click", () => { show("join"); $("join-name").focus(); });
$("join-form").addEventListener("submit", join);
$("reserve-here").addEventListener("click", reserveHere);
$("wish-add").addEventListener("click", addWish);
$("order-confirm").addEventListener("click", confirmOrder);
$("order-cancel").addEventListener("click", closeOrder);
$("order-close").addEventListener("click", closeOrder);
$("setup-form").addEventListener("submit", provision);
setInterval(tick, 1000);
applyLanguage();
start();
window.vitrineKiosk = { state: () => ({ customer, product, lang }) };
