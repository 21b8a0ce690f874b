// Every edge API path the pages call, in one place.
const e = encodeURIComponent;
// Any GTIN form the edge resolves to its GTIN-14 (EAN/UPC digits, AI 01 element string with or
// without parentheses, GS1 Digital Link URI); anything else is a sku.
const GTIN = /^([0-9]{8,14}|\(01\).+|01[0-9]{14}.*|https?:\/\/.+)$/i;

export const paths = {
  whoami: () => "/ui/whoami",
  cardQr: () => "/ui/kiosk/card.svg",
  signIn: () => "/ui/sign-in",
  dashboard: () => "/ui/manager/dashboard",
  lockouts: () => "/ui/manager/lockouts",
  unlock: (device) => `/ui/manager/lockouts/${e(device)}/unlock`,
  // products and stock
  product: (code) => (GTIN.test(code) ? `/api/v1/products/gtin/${e(code)}` : `/api/v1/products/${e(code)}`),
  search: (q) => `/api/v1/products?q=${e(q)}&limit=12`,
  stock: (sku) => `/api/v1/stock/${e(sku)}`,
  receive: () => "/api/v1/stock/receipts",
  stockAdjust: () => "/api/v1/stock/adjustments",
  stockCount: () => "/api/v1/stock/counts",
  // customers
  customer: (customerId) => `/api/v1/customers/${e(customerId)}`,
  customerByCard: (card) => `/api/v1/customers/lookup?kind=card&value=${e(card)}`,
  customerBy: (kind, value) => `/api/v1/customers/lookup?kind=${e(kind)}&value=${e(value)}`,
  loyalty: (customerId) => `/api/v1/customers/${e(customerId)}/loyalty?limit=1`,
  wishlist: (customerId) => `/api/v1/customers/${e(customerId)}/wishlist`,
  wishlistItem: (customerId, sku) => `/api/v1/customers/${e(customerId)}/wishlist/${e(sku)}`,
  enrol: () => "/api/v1/customers",
  reservations: () => "/api/v1/reservations",
  pickupOrder: () => "/ui/kiosk/pickup-orders",
  // orders, receipts, returns
  orders: (state) => `/api/v1/orders?state=${e(state)}`,
  order: (id) => `/api/v1/orders/${e(id)}`,
  orderPick: (id) => `/api/v1/orders/${e(id)}/pick`,
  orderCollect: (id) => `/api/v1/orders/${e(id)}/collect`,
  receipt: (id) => `/api/v1/receipts/${e(id)}`,
  returns: () => "/api/v1/returns",
  returnable: (ref) => `/api/v1/returns/lookup?ref=${e(ref)}`,
  customerReturnable: (id) => `/api/v1/returns/lookup?customer=${e(id)}`,
  // recommendations (#6)
  goesWellWith: (sku) => `/api/v1/recommendations/product/${e(sku)}?k=6`,
  forYou: (customerId) => `/api/v1/recommendations/customer/${e(customerId)}?k=6`,
  basketRecos: () => "/api/v1/recommendations/basket",
  // devices (#5) and sync (#3)
  scans: (device) => `/api/v1/devices/sessions/${e(device)}/scans`,
  tagZones: () => "/api/v1/devices/tags?zone=none",
  countStart: () => "/api/v1/devices/counts",
  countProgress: (id) => `/api/v1/devices/counts/${e(id)}/events`,
  countFinish: (id) => `/api/v1/devices/counts/${e(id)}/finish`,
  alerts: () => "/api/v1/devices/alerts",
  acknowledgeAlert: (id) => `/api/v1/devices/alerts/${e(String(id))}/acknowledge`,
  devices: () => "/api/v1/devices/health",
  syncStatus: () => "/ui/manager/sync",
  link: () => "/ui/link",
  receiptEmail: (id) => `/api/v1/receipts/${e(id)}/email`,
  receiptQr: (id) => `/ui/receipts/${e(id)}/qr.svg`,
};
