// Every edge API path the pages call, in one place.
const e = encodeURIComponent;

export const paths = {
  whoami: () => "/ui/whoami",
  product: (code) => `/api/products/${e(code)}`,
  stock: (sku) => `/api/stock/${e(sku)}`,
  search: (q) => `/api/products?q=${e(q)}&limit=12`,
  goesWellWith: (sku) => `/api/recommendations/goes-well-with/${e(sku)}?k=6`,
  forYou: (customerId) => `/api/recommendations/for-you/${e(customerId)}?k=6`,
  customerByCard: (card) => `/api/customers/by-card/${e(card)}`,
  loyalty: (customerId) => `/api/customers/${e(customerId)}/loyalty`,
  wishlist: (customerId) => `/api/customers/${e(customerId)}/wishlist`,
  wishlistItem: (customerId, sku) => `/api/customers/${e(customerId)}/wishlist/${e(sku)}`,
  enrol: () => "/api/customers",
  reservations: () => "/api/reservations",
  pickupOrder: () => "/api/orders/pickup",
  scans: (device) => `/api/devices/sessions/${e(device)}/scans`,
  qr: () => "/ui/qr.svg",
  signIn: () => "/ui/sign-in",
  // handheld
  stockAdjust: () => "/api/stock/adjustments",
  receive: () => "/api/stock/receipts",
  ordersToPick: () => "/api/orders?state=placed&kind=click_collect",
  orders: (state) => `/api/orders?state=${e(state)}`,
  orderPick: (id) => `/api/orders/${e(id)}/pick`,
  orderCollect: (id) => `/api/orders/${e(id)}/collect`,
  orderByCode: (code) => `/api/orders/lookup?code=${e(code)}`,
  returns: () => "/api/returns",
  receipt: (id) => `/api/receipts/${e(id)}`,
  countStart: () => "/api/counts",
  countProgress: (id) => `/api/counts/${e(id)}/events`,
  countFinish: (id) => `/api/counts/${e(id)}/finish`,
  // manager
  dashboard: () => "/ui/manager/dashboard",
  alerts: () => "/api/devices/alerts",
  devices: () => "/api/devices/health",
  syncStatus: () => "/api/sync/status",
};
