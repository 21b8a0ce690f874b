"""The replica schema as an ordered list of migrations.

Invariant: migrations are append-only. A released migration is never edited; a change is a new
migration. Each one runs in its own transaction together with its ``schema_migrations`` record, so a
crash leaves the database at exactly one version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


V1_CORE = Migration(
    1,
    "core replica: catalog, prices, stock, sales, returns, customers, loyalty, orders, outbox",
    (
        """CREATE TABLE catalog (
            sku TEXT PRIMARY KEY,
            gtin TEXT UNIQUE,
            name TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            attributes TEXT NOT NULL DEFAULT '{}',
            version INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE prices (
            sku TEXT NOT NULL,
            version INTEGER NOT NULL,
            effective_from TEXT NOT NULL,
            cents INTEGER NOT NULL CHECK (cents >= 0),
            PRIMARY KEY (sku, effective_from, version)
        )""",
        """CREATE TABLE promotions (
            promo_id TEXT PRIMARY KEY,
            sku TEXT NOT NULL,
            store TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('percent', 'amount_off', 'price')),
            value INTEGER NOT NULL,
            starts TEXT NOT NULL,
            ends TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX promotions_sku ON promotions (sku, starts)",
        """CREATE TABLE stock_counts (
            op_id TEXT PRIMARY KEY,
            sku TEXT NOT NULL,
            zone TEXT NOT NULL,
            qty INTEGER NOT NULL,
            hlc TEXT NOT NULL,
            session TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX stock_counts_cell ON stock_counts (sku, zone, hlc)",
        """CREATE TABLE stock_deltas (
            op_id TEXT PRIMARY KEY,
            sku TEXT NOT NULL,
            zone TEXT NOT NULL,
            qty INTEGER NOT NULL,
            reason TEXT NOT NULL,
            ref TEXT NOT NULL DEFAULT '',
            hlc TEXT NOT NULL
        )""",
        "CREATE INDEX stock_deltas_cell ON stock_deltas (sku, zone, hlc)",
        """CREATE TABLE sales (
            receipt_id TEXT PRIMARY KEY,
            store TEXT NOT NULL,
            channel TEXT NOT NULL,
            customer_id TEXT,
            payment_ref TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            hlc TEXT NOT NULL,
            total_cents INTEGER NOT NULL,
            points_earned INTEGER NOT NULL DEFAULT 0,
            points_redeemed INTEGER NOT NULL DEFAULT 0,
            redeemed_cents INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX sales_customer ON sales (customer_id, at)",
        """CREATE TABLE sale_lines (
            receipt_id TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            sku TEXT NOT NULL,
            qty INTEGER NOT NULL,
            unit_cents INTEGER NOT NULL,
            discount_cents INTEGER NOT NULL DEFAULT 0,
            promo_id TEXT,
            oversold INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (receipt_id, line_no)
        )""",
        "CREATE INDEX sale_lines_sku ON sale_lines (sku)",
        """CREATE TABLE returns (
            return_id TEXT PRIMARY KEY,
            receipt_id TEXT,
            store TEXT NOT NULL,
            channel TEXT NOT NULL,
            customer_id TEXT,
            at TEXT NOT NULL,
            hlc TEXT NOT NULL,
            refund_cents INTEGER NOT NULL,
            points_reversed INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL,
            baseline INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX returns_receipt ON returns (receipt_id)",
        """CREATE TABLE return_lines (
            return_id TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            sku TEXT NOT NULL,
            qty INTEGER NOT NULL,
            refund_cents INTEGER NOT NULL,
            PRIMARY KEY (return_id, line_no)
        )""",
        """CREATE TABLE customers (
            customer_id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            email TEXT,
            phone TEXT,
            card TEXT,
            consent_marketing INTEGER NOT NULL DEFAULT 0,
            attributes TEXT NOT NULL DEFAULT '{}',
            field_hlc TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE customer_identities (
            kind TEXT NOT NULL CHECK (kind IN ('card', 'email', 'phone')),
            value TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            PRIMARY KEY (kind, value)
        )""",
        "CREATE INDEX customer_identities_customer ON customer_identities (customer_id)",
        """CREATE TABLE loyalty_ledger (
            entry_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            points INTEGER NOT NULL,
            ref TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL DEFAULT '',
            store TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            hlc TEXT NOT NULL,
            origin TEXT NOT NULL
        )""",
        "CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, hlc)",
        """CREATE TABLE loyalty_rules (
            version INTEGER PRIMARY KEY,
            effective_from TEXT NOT NULL,
            earn_per_unit_cents INTEGER NOT NULL CHECK (earn_per_unit_cents > 0),
            multipliers TEXT NOT NULL DEFAULT '{}',
            expiry_days INTEGER NOT NULL DEFAULT 0,
            redeem_cents_per_point INTEGER NOT NULL DEFAULT 1
        )""",
        """INSERT INTO loyalty_rules VALUES
            (0, '1970-01-01T00:00:00Z', 100, '{"click_collect": 2.0}', 365, 1)""",
        """CREATE TABLE loyalty_balances (
            customer_id TEXT PRIMARY KEY,
            balance INTEGER NOT NULL,
            as_of_hlc TEXT NOT NULL
        )""",
        """CREATE TABLE loyalty_allowance (
            lease_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            points INTEGER NOT NULL,
            used INTEGER NOT NULL DEFAULT 0,
            expires_at TEXT NOT NULL
        )""",
        "CREATE INDEX loyalty_allowance_customer ON loyalty_allowance (customer_id, expires_at)",
        """CREATE TABLE reservations (
            reservation_id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            qty INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            state TEXT NOT NULL,
            hlc TEXT NOT NULL
        )""",
        "CREATE INDEX reservations_sku ON reservations (sku, state)",
        """CREATE TABLE orders (
            order_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            store TEXT NOT NULL,
            channel TEXT NOT NULL,
            lines TEXT NOT NULL,
            total_cents INTEGER NOT NULL,
            state TEXT NOT NULL,
            placed_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            hlc TEXT NOT NULL
        )""",
        "CREATE INDEX orders_state ON orders (state)",
        """CREATE TABLE wishlist (
            customer_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            present INTEGER NOT NULL,
            hlc TEXT NOT NULL,
            PRIMARY KEY (customer_id, sku)
        )""",
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            op_id TEXT NOT NULL UNIQUE,
            hlc TEXT NOT NULL,
            type TEXT NOT NULL,
            v INTEGER NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE TABLE outbox_ack (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)",
        "INSERT INTO outbox_ack VALUES (1, 0)",
        "CREATE TABLE inbox_hwm (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
        "CREATE TABLE checkpoints (kind TEXT PRIMARY KEY, version INTEGER NOT NULL, hlc TEXT NOT NULL)",
    ),
)

V2_PICKUP_AND_SUMMARY = Migration(
    2,
    "click & collect pickup codes; other stores' availability (stock.summary)",
    (
        "ALTER TABLE orders ADD COLUMN pickup_code TEXT",
        """CREATE TABLE stock_summary (
            store TEXT NOT NULL,
            sku TEXT NOT NULL,
            qty INTEGER NOT NULL,
            hlc TEXT NOT NULL,
            PRIMARY KEY (store, sku)
        )""",
        "CREATE TABLE seed_runs (source TEXT PRIMARY KEY, rows INTEGER NOT NULL, at TEXT NOT NULL)",
    ),
)

V3_STOCK_LEVELS = Migration(
    3,
    "stock_levels: per (sku, zone) fold of counts + later deltas, kept by triggers (O(1) on-hand)",
    (
        """CREATE TABLE stock_levels (
            sku TEXT NOT NULL,
            zone TEXT NOT NULL,
            count_hlc TEXT NOT NULL DEFAULT '',
            qty INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (sku, zone)
        ) WITHOUT ROWID""",
        # Invariant: qty = the last count (by HLC) + deltas with a greater HLC, exactly sync.fold's rule,
        # whatever order rows arrive in (a late delta older than the count is ignored; a late count
        # re-sums the deltas after it).
        """CREATE TRIGGER stock_deltas_fold AFTER INSERT ON stock_deltas BEGIN
            INSERT OR IGNORE INTO stock_levels (sku, zone) VALUES (new.sku, new.zone);
            UPDATE stock_levels SET qty = qty + new.qty
             WHERE sku = new.sku AND zone = new.zone AND new.hlc > count_hlc;
        END""",
        """CREATE TRIGGER stock_counts_fold AFTER INSERT ON stock_counts BEGIN
            INSERT OR IGNORE INTO stock_levels (sku, zone) VALUES (new.sku, new.zone);
            UPDATE stock_levels SET count_hlc = new.hlc, qty = new.qty + coalesce(
                   (SELECT sum(d.qty) FROM stock_deltas d
                     WHERE d.sku = new.sku AND d.zone = new.zone AND d.hlc > new.hlc), 0)
             WHERE sku = new.sku AND zone = new.zone AND new.hlc > count_hlc;
        END""",
        """INSERT INTO stock_levels (sku, zone)
           SELECT sku, zone FROM stock_counts UNION SELECT sku, zone FROM stock_deltas""",
        """UPDATE stock_levels SET count_hlc = coalesce(
               (SELECT max(c.hlc) FROM stock_counts c WHERE c.sku = stock_levels.sku AND c.zone = stock_levels.zone), '')""",
        """UPDATE stock_levels SET qty =
               coalesce((SELECT c.qty FROM stock_counts c WHERE c.sku = stock_levels.sku
                          AND c.zone = stock_levels.zone AND c.hlc = stock_levels.count_hlc), 0)
             + coalesce((SELECT sum(d.qty) FROM stock_deltas d WHERE d.sku = stock_levels.sku
                          AND d.zone = stock_levels.zone AND d.hlc > stock_levels.count_hlc), 0)""",
    ),
)

V4_GTIN14 = Migration(
    4,
    "catalog GTINs stored in the vocabulary's canonical form, GTIN-14 (sync.gtin)",
    (
        # An 8-, 12- or 13-digit GTIN is the same GTIN-14 left-padded with zeros (GS1 GTIN-14 rule;
        # the check digit does not change). Two rows that meet on one GTIN-14 keep it on the first sku.
        """UPDATE catalog SET gtin = NULL
            WHERE gtin NOT GLOB '*[^0-9]*' AND length(gtin) IN (8, 12, 13) AND EXISTS (
                SELECT 1 FROM catalog other
                 WHERE other.gtin = substr('000000' || catalog.gtin, -14)
                    OR (other.sku < catalog.sku AND other.gtin NOT GLOB '*[^0-9]*'
                        AND substr('000000' || other.gtin, -14) = substr('000000' || catalog.gtin, -14)))""",
        """UPDATE catalog SET gtin = substr('000000' || gtin, -14)
            WHERE gtin NOT GLOB '*[^0-9]*' AND length(gtin) IN (8, 12, 13)""",
    ),
)

V5_STREAM_FINGERPRINTS = Migration(
    5,
    "restores: the HLC of the op at each inbox mark, and the HLCs of applied cloud ops (re-numbered ops apply once)",
    (
        "ALTER TABLE inbox_hwm ADD COLUMN hlc TEXT",
        "CREATE TABLE inbox_seen (origin TEXT NOT NULL, hlc TEXT NOT NULL, PRIMARY KEY (origin, hlc)) WITHOUT ROWID",
        "CREATE TABLE sync_recovery (id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL)",
    ),
)


def _canonical_instants(table: str, column: str) -> str:
    # The hub's ``YYYY-MM-DDTHH:MM:SSZ`` (20 characters) -> sync.instants' microsecond form.
    return (
        f"UPDATE OR REPLACE {table} SET {column} = substr({column}, 1, 19) || '.000000Z' "
        f"WHERE length({column}) = 20 AND substr({column}, 20, 1) = 'Z'"
    )


_INSTANT_COLUMNS = (
    ("prices", "effective_from"),
    ("promotions", "starts"),
    ("promotions", "ends"),
    ("loyalty_rules", "effective_from"),
    ("loyalty_allowance", "expires_at"),
    ("reservations", "expires_at"),
    ("orders", "placed_at"),
    ("orders", "updated_at"),
    ("sales", "at"),
    ("loyalty_ledger", "at"),
)

V6_CLOCKS = Migration(
    6,
    "clocks: instants in sync.instants' one text form (SQL compares them as instants); the hub clock offset",
    (
        """CREATE TABLE hub_clock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            offset_ms INTEGER NOT NULL,
            rtt_ms INTEGER NOT NULL,
            measured_at REAL NOT NULL
        )""",
        *(_canonical_instants(table, column) for table, column in _INSTANT_COLUMNS),
    ),
)

V7_SUMMARY_AS_OF = Migration(
    7,
    "stock_summary.as_of: when each other store's figure last changed (live availability)",
    ("ALTER TABLE stock_summary ADD COLUMN as_of TEXT",),
)


V8_RESERVATION_SALES = Migration(
    8,
    "which sale line picked up each reservation (the manager's revenue per channel counts it as such)",
    (
        """CREATE TABLE reservation_sales (
            reservation_id TEXT PRIMARY KEY,
            receipt_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            line_cents INTEGER NOT NULL
        )""",
        "CREATE INDEX reservation_sales_receipt ON reservation_sales (receipt_id)",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    V1_CORE,
    V2_PICKUP_AND_SUMMARY,
    V3_STOCK_LEVELS,
    V4_GTIN14,
    V5_STREAM_FINGERPRINTS,
    V6_CLOCKS,
    V7_SUMMARY_AS_OF,
    V8_RESERVATION_SALES,
)
LATEST_VERSION = MIGRATIONS[-1].version
