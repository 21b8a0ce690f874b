"""Ordered schema migrations; each runs in its own transaction together with its record.

``migrate(engine)`` is idempotent and safe to call from several processes at start-up: a
migration whose record already exists is skipped, and on PostgreSQL an advisory lock serialises
concurrent migrators. Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from cloud.errors import StorageError
from cloud.storage import schema
from cloud.timefmt import utc_now_text

MIGRATION_LOCK_KEY = 0x5649_5452  # "VITR"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*tables: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for name in tables:
            schema.metadata.tables[name].create(conn)

    return run


def _create_indexes(conn: Connection) -> None:
    for name, table, columns in schema.INDEXES:
        conn.execute(text(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})"))


def _indexes(*indexes: tuple[str, str, tuple[str, ...]]) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for name, table, columns in indexes:
            conn.execute(text(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})"))

    return run


def _order_lines(conn: Connection) -> None:
    schema.order_lines.create(conn)
    conn.execute(text("CREATE INDEX ix_order_lines_sku ON order_lines (sku, store)"))


def _return_claims(conn: Connection) -> None:
    schema.return_claims.create(conn)
    schema.over_refunds.create(conn)
    schema.customer_stores.create(conn)
    schema.consent_proofs.create(conn)
    conn.execute(text("CREATE INDEX ix_consent_proofs_customer ON consent_proofs (customer_id, id)"))
    conn.execute(text("CREATE INDEX ix_return_claims_receipt ON return_claims (receipt_id, sku)"))


def _reservations(conn: Connection) -> None:
    from cloud import reservations

    schema.sale_reservations.create(conn)
    schema.reservations.create(conn)
    conn.execute(text("CREATE INDEX ix_sale_reservations_day ON sale_reservations (day, store)"))
    conn.execute(text("CREATE INDEX ix_sale_reservations_receipt ON sale_reservations (receipt_id)"))
    conn.execute(text("CREATE INDEX ix_reservations_customer ON reservations (customer_id)"))
    reservations.backfill(conn)


def _console(conn: Connection) -> None:
    console = (schema.console_users, schema.console_sessions, schema.console_audit)
    for table in (*console, schema.store_presence, schema.store_status):
        table.create(conn)
    conn.execute(text("CREATE INDEX ix_console_sessions_user ON console_sessions (username)"))
    conn.execute(text("CREATE INDEX ix_console_audit_user ON console_audit (username, id)"))


def _live_availability(conn: Connection) -> None:
    for table in (schema.availability_marks, schema.summary_sources, schema.summary_targets):
        table.create(conn)
    conn.execute(text("CREATE INDEX ix_availability_marks_pending ON availability_marks (pending, store)"))


def _model_rollout(conn: Connection) -> None:
    schema.model_artifacts.create(conn)
    schema.model_releases.create(conn)
    conn.execute(text("CREATE INDEX ix_model_releases_model ON model_releases (model_id)"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sync streams: cloud_ops, stream_hwm, quarantine, downlink_ops, downlink_acked, downlink_streams",
        _create(
            "cloud_ops", "stream_hwm", "quarantine", "downlink_ops", "downlink_acked", "downlink_streams"
        ),
    ),
    Migration(
        2,
        "hub: stores, reference data, customers, loyalty, stock, sales, orders, marketing",
        _create(
            "stores",
            "checkpoint_versions",
            "catalog",
            "price_lists",
            "price_list_items",
            "promotions",
            "loyalty_rules",
            "customers",
            "customer_identities",
            "loyalty_ledger",
            "allowances",
            "overdrafts",
            "stock",
            "stock_moves",
            "stock_counts",
            "sales",
            "sale_lines",
            "returns",
            "orders",
            "order_events",
            "marketing_outbox",
            "marketing_sent",
        ),
    ),
    Migration(3, "indexes for ingest, services and reports", _create_indexes),
    Migration(4, "order_lines: stock held back by placed orders", _order_lines),
    Migration(
        5,
        "head-office import: store_directory, customer_consents, sale_line_measures",
        _create("store_directory", "customer_consents", "sale_line_measures"),
    ),
    Migration(
        6,
        "return_claims, over_refunds, customer_stores, consent_proofs: refunds once, one customer everywhere",
        _return_claims,
    ),
    Migration(
        7,
        "indexes for store bootstrap (the customers a store needs)",
        _indexes(
            ("ix_sales_store_customer", "sales", ("store", "customer_id")),
            ("ix_ledger_store_customer", "loyalty_ledger", ("store", "customer_id")),
        ),
    ),
    Migration(
        8, "live availability: availability_marks, summary_sources, summary_targets", _live_availability
    ),
    Migration(
        9,
        "head-office console: console_users, console_sessions, console_audit, store_presence, store_status",
        _console,
    ),
    Migration(
        10,
        "reservations (folded from reservation.set) and sale_reservations (revenue per channel)",
        _reservations,
    ),
    Migration(11, "model rollout: model_artifacts, model_releases (the release history)", _model_rollout),
)


def applied_versions(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("schema_migrations"):
            return set()
        return {row[0] for row in conn.execute(select(schema.schema_migrations.c.version))}


def migrate(engine: Engine) -> list[int]:
    """Apply every pending migration in order; returns the versions applied now."""
    done: list[int] = []
    try:
        with engine.begin() as conn:
            _lock(conn)
            schema.schema_migrations.create(conn, checkfirst=True)
        for migration in MIGRATIONS:
            with engine.begin() as conn:
                _lock(conn)
                have = conn.execute(
                    select(schema.schema_migrations.c.version).where(
                        schema.schema_migrations.c.version == migration.version
                    )
                ).first()
                if have:
                    continue
                migration.apply(conn)
                conn.execute(
                    insert(schema.schema_migrations).values(
                        version=migration.version, name=migration.name, applied_at=utc_now_text()
                    )
                )
                done.append(migration.version)
    except SQLAlchemyError as err:
        raise StorageError(f"migration failed: {err}") from err
    return done


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
