"""The replicated vocabulary: every op type, who may emit it, and the shape of its body.

This is the contract between ``edge`` and ``cloud``. Bodies are JSON objects; money is in
integer cents, points are integers, quantities are integers, times are ISO-8601 UTC strings.

Stock ops (store -> cloud, and cloud -> store for online orders):
  stock.count    {sku, store, zone, qty, session}            absolute count; resets the fold
  stock.delta    {sku, store, zone, qty, reason, ref}        qty signed; reason in STOCK_REASONS
Sales and returns (store -> cloud; cloud emits the online ones):
  sale.recorded  {receipt_id, store, channel, customer_id|null, payment_ref, at,
                  lines:[{sku, qty, unit_cents, discount_cents, reservation_id?}], total_cents,
                  points_earned, points_redeemed}   (reservation_id: the line picked up that reservation)
  return.recorded {return_id, receipt_id, store, channel, at,
                   lines:[{sku, qty, refund_cents}], refund_cents, points_reversed}
  receipt.email  {receipt_id, store, customer_id|null, email, at, lines:[{sku, name, qty, line_cents}],
                  total_cents, paid_cents, points_redeemed, points_earned}
                 the customer asked for the receipt by e-mail: the hub sends it with its sender
                 (through the outbox, so a store offline sends it when the link is back)
Loyalty (ledger entries; balance = sum of points):
  loyalty.entry  {entry_id, customer_id, kind, points, ref, channel, store, at}
                 kind in LOYALTY_KINDS; points signed (earn +, redeem -, reverse -, expire -)
Customers (per-field last-writer-wins by op hlc):
  customer.upsert {customer_id, fields:{name?, email?, phone?, card?, consent_marketing?, ...},
                  consent?: {terms_version, accepted_at}}   (the programme terms accepted at enrolment)
                 a consent_marketing change is the customer's own act and carries its proof in
                 fields: consent_wording (version agreed to), consent_at (ISO UTC), consent_channel
                 ("online" or the store id); these are not profile fields
  wishlist.set   {customer_id, sku, present}
Orders and reservations (one owner per transition):
  order.placed   {order_id, kind, customer_id, store, lines:[{sku, qty, unit_cents}], total_cents,
                  channel, at, pickup_code?}                cloud -> store
  order.transition {order_id, state, store, at, by}          store -> cloud (picked/collected/cancelled)
  reservation.set {reservation_id, customer_id, sku, qty, store, expires_at, state}
Cloud-authoritative checkpoints (cloud -> store), applied atomically, effective-dated:
  catalog.checkpoint {version, items:[{sku, gtin, name, category, attributes}]}  (gtin: GTIN-14, sync.gtin)
  price.checkpoint   {version, effective_from, prices:[{sku, cents}], promotions:[{promo_id, sku,
                      store|null, kind, value, starts, ends}]}
  loyalty.rules      {version, effective_from, earn_per_unit_cents, multipliers:{channel: x}, expiry_days,
                      redeem_cents_per_point?}               (optional; default 1 cent per point)
  loyalty.balance    {customer_id, balance, as_of_hlc}
  loyalty.allowance  {store, customer_id, points, lease_id, expires_at}
  stock.summary      {store, items:[{sku, qty, as_of?}], partial?}
                     other stores' availability: qty on hand minus held by orders, as_of = when
                     that figure last changed (ISO UTC). Without ``partial`` the items replace
                     everything held for ``store``; with it they update those skus only and a qty
                     of 0 removes the sku (live deltas, see cloud/stock_summary.py)
  model.release      {model_id, sha256, url|inline_b64, manifest, signature}

A new store's first fill is not made of ops: it reads the hub's state over the RPC channel in pages
(``bootstrap.open`` / ``bootstrap.page``, :mod:`sync.bootstrap`); what changes afterwards arrives as
the ops above.
"""

from __future__ import annotations

STOCK_REASONS = frozenset(
    {"sale", "return", "receipt", "adjustment", "transfer", "order", "damage", "shrink"}
)
LOYALTY_KINDS = frozenset({"earn", "redeem", "reverse", "expire", "adjust"})
# price.checkpoint promotions[].kind on the wire (the hub's names): value is a percentage, an amount
# off in cents, or a fixed price in cents.
PROMOTION_KINDS = frozenset({"percent_off", "amount_off", "fixed_price"})
CHANNELS = frozenset({"store", "kiosk", "online", "click_collect", "reserve", "ship_from_store"})
ORDER_KINDS = frozenset({"home_delivery", "click_collect", "reserve_in_store", "ship_from_store"})
ORDER_STATES = ("placed", "picked", "collected", "shipped", "cancelled", "returned")

STORE_OP_TYPES = frozenset(
    {
        "stock.count",
        "stock.delta",
        "sale.recorded",
        "return.recorded",
        "loyalty.entry",
        "customer.upsert",
        "wishlist.set",
        "order.transition",
        "reservation.set",
        "receipt.email",
    }
)
CLOUD_OP_TYPES = frozenset(
    {
        "catalog.checkpoint",
        "price.checkpoint",
        "loyalty.rules",
        "loyalty.balance",
        "loyalty.allowance",
        "stock.summary",
        "order.placed",
        "model.release",
        # the cloud also relays these on behalf of the online channel
        "stock.delta",
        "loyalty.entry",
        "customer.upsert",
        "sale.recorded",
        "return.recorded",
    }
)
OP_TYPES = STORE_OP_TYPES | CLOUD_OP_TYPES
