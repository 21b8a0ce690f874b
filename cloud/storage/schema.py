"""The hub's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Conventions: times are ISO-8601 UTC text ``YYYY-MM-DDTHH:MM:SSZ`` (sortable, compared as text
in both databases), ``day`` columns hold ``YYYY-MM-DD``; money is integer cents; points are
integers; JSON documents are stored as text. Tables are created by :mod:`cloud.storage.migrations`,
never by ``metadata.create_all`` outside a migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(32), nullable=False),
)

# --- sync (agreed with the sync engineer; cloud/ingest writes these) -------------------------------

cloud_ops = Table(
    "cloud_ops",
    metadata,
    Column("origin", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("v", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    PrimaryKeyConstraint("origin", "seq"),
)

stream_hwm = Table(
    "stream_hwm",
    metadata,
    Column("origin", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", String(32), nullable=False),
    Column("topic", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

downlink_ops = Table(
    "downlink_ops",
    metadata,
    Column("store", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("v", Integer, nullable=False),
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("store", "seq"),
)

downlink_acked = Table(
    "downlink_acked",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Allocates contiguous downlink seqs per store; the row lock serialises concurrent writers.
downlink_streams = Table(
    "downlink_streams",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

# --- stores -----------------------------------------------------------------------------------------

stores = Table(
    "stores",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("broker_username", String(128), nullable=False, unique=True),
    Column("broker_password_hash", String(256), nullable=False),  # mosquitto_passwd "$7$" format
    Column("api_token_hash", String(128), nullable=False, unique=True),  # sha256 hex of the store token
    Column("token_bundle_hashes", Text, nullable=False),  # JSON {role: sha256 hex} of edge tokens
    Column("active", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# --- cloud-authoritative reference data -----------------------------------------------------------

checkpoint_versions = Table(
    "checkpoint_versions",
    metadata,
    Column("kind", String(32), primary_key=True),  # catalog | price | loyalty_rules
    Column("version", BigInteger, nullable=False),
)

catalog = Table(
    "catalog",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("gtin", String(14), nullable=False, unique=True),  # GTIN-14, sync.gtin.canonical_gtin
    Column("name", String(300), nullable=False),
    Column("category", String(120), nullable=False),
    Column("attributes", Text, nullable=False),  # JSON object
    Column("active", Boolean, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

price_lists = Table(
    "price_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", BigInteger, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("effective_from", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
)

price_list_items = Table(
    "price_list_items",
    metadata,
    Column("price_list_id", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("price_list_id", "sku"),
)

promotions = Table(
    "promotions",
    metadata,
    Column("promo_id", String(64), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("store", String(64), nullable=True),  # null = every store and online
    Column("kind", String(32), nullable=False),  # percent_off | amount_off | fixed_price
    Column("value", BigInteger, nullable=False),
    Column("starts", String(32), nullable=False),
    Column("ends", String(32), nullable=False),
    Column("created_at", String(32), nullable=False),
)

loyalty_rules = Table(
    "loyalty_rules",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("effective_from", String(32), nullable=False),
    Column("earn_per_unit_cents", Integer, nullable=False),  # 1 point per this many cents
    Column("multipliers", Text, nullable=False),  # JSON {channel: factor}
    Column("expiry_days", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# --- customers and loyalty ----------------------------------------------------------------------

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("card", String(64), nullable=True),
    Column("consent_marketing", Boolean, nullable=False),
    Column("field_hlc", Text, nullable=False),  # JSON {field: hlc}: per-field last-writer-wins
    Column("merged_into", String(64), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=True),
)

customer_identities = Table(
    "customer_identities",
    metadata,
    Column("kind", String(16), nullable=False),  # email | phone | card
    Column("value", String(254), nullable=False),  # normalised
    Column("customer_id", String(64), nullable=False),
    PrimaryKeyConstraint("kind", "value"),
)

loyalty_ledger = Table(
    "loyalty_ledger",
    metadata,
    Column("entry_id", String(128), primary_key=True),
    Column("customer_id", String(64), nullable=False),  # canonical id (rewritten on merge)
    Column("original_customer_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("ref", String(128), nullable=True),
    Column("channel", String(32), nullable=True),
    Column("store", String(64), nullable=True),
    Column("at", String(32), nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("lease_id", String(64), nullable=True),
)

allowances = Table(
    "allowances",
    metadata,
    Column("lease_id", String(64), primary_key=True),
    Column("store", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # active | released | expired
    Column("created_at", String(32), nullable=False),
)

overdrafts = Table(
    "overdrafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("entry_id", String(128), nullable=False, unique=True),
    Column("store", String(64), nullable=True),
    Column("balance_after", BigInteger, nullable=False),
    Column("detected_at", String(32), nullable=False),
)

# --- stock --------------------------------------------------------------------------------------

stock = Table(
    "stock",
    metadata,
    Column("sku", String(64), nullable=False),
    Column("store", String(64), nullable=False),
    Column("zone", String(64), nullable=False),  # '' when the op names no zone
    Column("qty", BigInteger, nullable=False),
    Column("last_count_hlc", String(64), nullable=False),  # '' before the first count
    Column("oversold", Boolean, nullable=False),
    Column("updated_hlc", String(64), nullable=False),
    PrimaryKeyConstraint("sku", "store", "zone"),
)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("op_id", String(96), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("store", String(64), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # count | delta
    Column("qty", BigInteger, nullable=False),
    Column("reason", String(32), nullable=True),
)

stock_counts = Table(
    "stock_counts",
    metadata,
    Column("op_id", String(96), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("store", String(64), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("session", String(64), nullable=True),
    Column("at", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("counted", BigInteger, nullable=False),
    Column("book", BigInteger, nullable=False),
)

# --- sales projection (reports) ------------------------------------------------------------------

sales = Table(
    "sales",
    metadata,
    Column("receipt_id", String(96), primary_key=True),
    Column("store", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("at", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("item_count", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    Column("points_redeemed", BigInteger, nullable=False),
)

sale_lines = Table(
    "sale_lines",
    metadata,
    Column("receipt_id", String(96), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("unit_cents", BigInteger, nullable=False),
    Column("discount_cents", BigInteger, nullable=False),
    Column("store", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    PrimaryKeyConstraint("receipt_id", "line_no"),
)

# The sale lines that picked up a store reservation (``reservation_id`` on a ``sale.recorded``
# line): revenue per channel counts them as ``reservation``, as the store manager's dashboard does.
sale_reservations = Table(
    "sale_reservations",
    metadata,
    Column("reservation_id", String(96), primary_key=True),
    Column("receipt_id", String(96), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("line_cents", BigInteger, nullable=False),
    Column("store", String(64), nullable=False),
    Column("day", String(10), nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("return_id", String(96), primary_key=True),
    Column("receipt_id", String(96), nullable=False),
    Column("store", String(64), nullable=False),
    Column("channel", String(32), nullable=False),  # channel of the original sale
    Column("at", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("refund_cents", BigInteger, nullable=False),
    Column("item_count", BigInteger, nullable=False),
    Column("points_reversed", BigInteger, nullable=False),
)

# What every return claims on the lines of a receipt or order (see ``cloud.returnable``): the
# hub's answer to "how many are still returnable" is sold minus the sum of claims.
return_claims = Table(
    "return_claims",
    metadata,
    Column("return_id", String(96), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("receipt_id", String(96), nullable=False),
    Column("store", String(64), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("at", String(32), nullable=False),
    PrimaryKeyConstraint("return_id", "sku"),
)

# Receipt lines refunded beyond what they sold, found when a store's offline returns merged.
over_refunds = Table(
    "over_refunds",
    metadata,
    Column("receipt_id", String(96), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("sold", BigInteger, nullable=False),
    Column("returned", BigInteger, nullable=False),
    Column("stores", Text, nullable=False),  # comma-separated stores that took returns of the line
    Column("detected_at", String(32), nullable=False),
    PrimaryKeyConstraint("receipt_id", "sku"),
)

# Stores that hold a customer in their replica (they enrolled, changed or looked the customer up):
# profile changes made anywhere are relayed to each of them (``cloud.customer_relay``).
customer_stores = Table(
    "customer_stores",
    metadata,
    Column("customer_id", String(64), nullable=False),
    Column("store", String(64), nullable=False),
    PrimaryKeyConstraint("customer_id", "store"),
)

# Proof of marketing consent: every change, by the customer's own act, with the wording they saw.
consent_proofs = Table(
    "consent_proofs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("at", String(32), nullable=False),
    Column("channel", String(32), nullable=False),  # online | a store id
    Column("wording_version", String(64), nullable=False),
)

# --- orders -------------------------------------------------------------------------------------

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("store", String(64), nullable=True),  # fulfilling store (null: central warehouse)
    Column("channel", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("lines", Text, nullable=False),  # JSON [{sku, qty, unit_cents}]
    Column("total_cents", BigInteger, nullable=False),
    Column("points_redeemed", BigInteger, nullable=False),
    Column("address", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("state_hlc", String(64), nullable=False),
)

# Store reservations ("reserve for pickup" at a kiosk or handheld), folded from ``reservation.set``
# ops: the newest state by HLC wins (active -> fulfilled | cancelled | expired).
reservations = Table(
    "reservations",
    metadata,
    Column("reservation_id", String(96), primary_key=True),
    Column("customer_id", String(64), nullable=False),  # canonical id (rewritten on merge)
    Column("store", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("hlc", String(64), nullable=False),
)

# One row per order line: what a ``placed`` order holds back from its store's availability until
# the store picks it (the pick's own ``stock.delta`` then takes the goods off the shelf).
order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("store", String(64), nullable=False),
    Column("qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("order_id", "line_no"),
)

# Live availability (``cloud.stock_summary``): which (store, sku) figures changed since they were
# last published to the other stores (marked by the transaction that changes them), and when each
# source store may publish again (claimed by the publishing worker; ingest never touches it).
availability_marks = Table(
    "availability_marks",
    metadata,
    Column("store", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("as_of", String(32), nullable=False),  # time of the newest change the figure reflects
    Column("version", BigInteger, nullable=False),  # bumped by every change
    Column("pending", Boolean, nullable=False),  # changed since last published
    PrimaryKeyConstraint("store", "sku"),
)

summary_sources = Table(
    "summary_sources",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("next_at", Float, nullable=False),  # epoch seconds: no summary of this store before then
    Column("published", BigInteger, nullable=False),  # turns taken so far
)

# Stores that received the full picture of every other store once (then only changes).
summary_targets = Table(
    "summary_targets",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("full_at", String(32), nullable=False),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", String(32), nullable=False),
    Column("hlc", String(64), nullable=False),
)

# --- marketing ----------------------------------------------------------------------------------

marketing_outbox = Table(
    "marketing_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("period", String(32), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("customer_id", "trigger", "period", name="uq_marketing_once"),
)

marketing_sent = Table(
    "marketing_sent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, nullable=False, unique=True),
    Column("sender", String(32), nullable=False),
    Column("sent_at", String(32), nullable=False),
    Column("detail", Text, nullable=True),
)

# --- head-office import (cloud/importing) ----------------------------------------------------------

# Stores head office declares in an import, provisioned or not (provisioning issues credentials
# in ``stores``); imported sales, stock and prices may name them before their edge exists.
store_directory = Table(
    "store_directory",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", String(32), nullable=False),
)

# Evidence of each marketing-consent decision: when, through which channel, which wording.
# Keyed by the customer id the import gave (read through ``customers.merged_into``).
customer_consents = Table(
    "customer_consents",
    metadata,
    Column("customer_id", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),  # marketing
    Column("at", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("wording_version", String(64), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    PrimaryKeyConstraint("customer_id", "purpose", "at"),
)

# The measured quantity of a sale line of goods sold by weight or length (``sale_lines.qty`` is 1
# and ``unit_cents`` the line's value for such a line); decimal text, e.g. "0.734".
sale_line_measures = Table(
    "sale_line_measures",
    metadata,
    Column("receipt_id", String(96), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("quantity", String(32), nullable=False),
    Column("unit", String(8), nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("receipt_id", "line_no"),
)

# --- model rollout (cloud/rollout) ----------------------------------------------------------------

# Every signed recommender artifact the hub trained, kept whole so the same bytes can be promoted
# from a canary to the fleet or released again for a rollback (content-addressed: model_id).
model_artifacts = Table(
    "model_artifacts",
    metadata,
    Column("model_id", String(80), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created", String(32), nullable=False),
    Column("manifest", Text, nullable=False),  # JSON, as signed
    Column("signature", Text, nullable=False),
    Column("onnx", LargeBinary, nullable=False),
    Column("stored_at", String(32), nullable=False),
)

# The release history: each release, canary, promotion or rollback, to which stores, by whom.
model_releases = Table(
    "model_releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(80), nullable=False),
    Column("action", String(16), nullable=False),  # release | canary | promote | rollback
    Column("stores", Text, nullable=False),  # JSON list of store ids
    Column("released_at", String(32), nullable=False),
    Column("by", String(64), nullable=False),
)

# --- head-office console (cloud/console) ----------------------------------------------------------

console_users = Table(
    "console_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # admin | marketing | analyst
    Column("password_hash", String(256), nullable=False),
    Column("failures", Integer, nullable=False),  # failed sign-ins since the last success or unlock
    Column("locked_until", String(32), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

# A signed-in browser: the cookie holds a random token, the table only its SHA-256.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
)

console_audit = Table(
    "console_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
)

# The last presence each store announced on the broker (retained birth "online" / Last Will
# "offline"), written by every ingest worker: ``changed_at`` when the state last changed.
store_presence = Table(
    "store_presence",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # online | offline
    Column("changed_at", String(32), nullable=False),
    Column("seen_at", String(32), nullable=False),
)

# The last health report each store sent (``sync.status_report``; JSON): its backlog, clock skew,
# versions, bootstrap progress and devices, as the store saw them at ``received_at``.
store_status = Table(
    "store_status",
    metadata,
    Column("store", String(64), primary_key=True),
    Column("received_at", String(32), nullable=False),
    Column("report", Text, nullable=False),
)

# (name, table, columns): created by a migration with plain DDL, so they are not bound to the
# Table objects above (``Table.create`` in an earlier migration must not create them).
INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_cloud_ops_hlc", "cloud_ops", ("hlc",)),
    ("ix_downlink_ops_hlc", "downlink_ops", ("store", "hlc")),
    ("ix_customers_merged", "customers", ("merged_into",)),
    ("ix_identities_customer", "customer_identities", ("customer_id",)),
    ("ix_ledger_customer", "loyalty_ledger", ("customer_id", "at")),
    ("ix_allowances_customer", "allowances", ("customer_id", "store", "state")),
    ("ix_stock_store", "stock", ("store", "sku")),
    ("ix_stock_moves_key", "stock_moves", ("sku", "store", "zone", "hlc")),
    ("ix_stock_counts_day", "stock_counts", ("day", "store")),
    ("ix_sales_day", "sales", ("day", "store", "channel")),
    ("ix_sales_customer", "sales", ("customer_id", "day")),
    ("ix_sale_lines_day", "sale_lines", ("day", "store", "channel")),
    ("ix_returns_day", "returns", ("day", "channel")),
    ("ix_orders_store", "orders", ("store", "state")),
    ("ix_orders_customer", "orders", ("customer_id",)),
    ("ix_order_events_order", "order_events", ("order_id",)),
    ("ix_outbox_state", "marketing_outbox", ("state",)),
    ("ix_price_lists_effective", "price_lists", ("effective_from",)),
    ("ix_promotions_sku", "promotions", ("sku", "store")),
)
