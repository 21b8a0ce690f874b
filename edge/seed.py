"""Seed an edge replica from the Online Retail CSV (catalog, prices, customers, past baskets).

What is written, and why it is consistent:

* catalog from StockCode/Description (non-product codes such as POST, DOT, M, BANK CHARGES,
  AMAZONFEE, D, CRUK, PADS, gift vouchers are excluded), with a deterministic synthetic GTIN-14
  (``sync.gtin.synthetic_gtin``, the hub's import uses the same);
  price = the latest positive UnitPrice, as price version 0 effective from the epoch;
* past invoices become sales (channel ``store``) and ``C…`` invoices become returns. They are
  *pre-sync baseline*: stored with ``baseline = 1`` and no ops, because they happened before this
  node existed; they serve history (receipts, returns, recommendations), not replication;
* the state that does replicate is established by ops, in the same transaction: one
  ``customer.upsert`` per new customer, one ``stock.count`` per new product (an opening count,
  after all baseline history in HLC order, so the stock fold equals the count), and one
  ``loyalty.entry`` (kind ``adjust``) per new customer with their opening balance (points earned
  on past baskets minus those reversed by past returns, never negative).

Idempotent: every row has a natural key (sku, invoice, customer id, entry id) and is inserted
only once; ops are written only for what was new. The whole seed is one transaction.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from edge.errors import Invalid
from edge.replica import queries as q
from edge.replica.database import Replica, Tx
from edge.services.loyalty import write_entry
from edge.services.pricing import points_earned
from edge.services.stock import record_count
from models.data import ONLINE_RETAIL_HEADER, ONLINE_RETAIL_PRODUCT_CODE, online_retail_category
from sync.gtin import synthetic_gtin

DEFAULT_CSV = Path("..") / "shared" / "data" / "retail" / "online_retail_2010-12_2011-10.csv.gz"
STOCK_WINDOW_DAYS = 28
MIN_OPENING_STOCK, MAX_OPENING_STOCK = 6, 400
EPOCH = "1970-01-01T00:00:00.000000Z"

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Product:
    description: str = ""
    price_cents: int = 0
    price_at: str = ""
    recent_qty: int = 0


@dataclass
class Invoice:
    number: str
    at: str
    customer: str | None
    lines: list[tuple[str, int, int]] = field(default_factory=list)  # (sku, qty, unit_cents)


@dataclass
class SeedReport:
    rows_read: int = 0
    rows_used: int = 0
    products: int = 0
    customers: int = 0
    sales: int = 0
    returns: int = 0
    stock_counts: int = 0
    loyalty_entries: int = 0
    ops_written: int = 0


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _iso(csv_date: str) -> str:
    return datetime.strptime(csv_date, "%Y-%m-%d %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _cents(price: str) -> int:
    return int((Decimal(price) * 100).to_integral_value())


def _rows(path: Path) -> Iterator[list[str]]:
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if (
            header is None
            or tuple(h.strip() for h in header[: len(ONLINE_RETAIL_HEADER)]) != ONLINE_RETAIL_HEADER
        ):
            raise Invalid(f"{path}: not the Online Retail CSV (header {header})")
        yield from reader


def last_date(path: Path) -> datetime:
    latest = ""
    for row in _rows(path):
        latest = max(latest, row[4])
    return datetime.strptime(latest, "%Y-%m-%d %H:%M:%S")


def read(
    path: Path, since: datetime | None = None, progress: Progress | None = None
) -> tuple[dict[str, Product], dict[str, str], list[Invoice], int]:
    """Products, customers (id -> country), invoices (in file order) and the number of rows read."""
    products: dict[str, Product] = {}
    customers: dict[str, str] = {}
    invoices: dict[str, Invoice] = {}
    since_text = since.strftime("%Y-%m-%d %H:%M:%S") if since else ""
    rows = 0
    end = ""
    parsed: list[tuple[str, str, str, int, str, int, str]] = []
    for row in _rows(path):
        rows += 1
        if progress is not None and rows % 25_000 == 0:
            progress("reading CSV", rows, 0)
        if len(row) < 8:
            continue
        number, code, description, qty_text, date, price_text, customer, country = (
            c.strip() for c in row[:8]
        )
        if date < since_text or not ONLINE_RETAIL_PRODUCT_CODE.match(code) or number[:1] not in "0123456789C":
            continue
        try:
            qty, cents = int(qty_text), _cents(price_text)
        except (ValueError, InvalidOperation):
            continue
        if cents <= 0 or qty == 0 or (qty < 0) != number.startswith("C"):
            continue
        end = max(end, date)
        parsed.append((number, code, description, qty, date, cents, customer))
        if customer:
            customers.setdefault(customer, country)
    window = (datetime.strptime(end, "%Y-%m-%d %H:%M:%S") - timedelta(days=STOCK_WINDOW_DAYS)).strftime(
        "%Y-%m-%d %H:%M:%S"
    ) if end else ""  # fmt: skip
    for number, code, description, qty, date, cents, customer in parsed:
        product = products.setdefault(code, Product())
        if description:
            product.description = description
        if date >= product.price_at:
            product.price_cents, product.price_at = cents, date
        if qty > 0 and date >= window:
            product.recent_qty += qty
        invoice = invoices.get(number)
        if invoice is None:
            invoice = invoices[number] = Invoice(number, _iso(date), customer or None)
        invoice.lines.append((code, abs(qty), cents))
    return products, customers, list(invoices.values()), rows


def seed(
    replica: Replica,
    path: Path,
    since: datetime | None = None,
    progress: Progress | None = None,
    zone: str = "floor",
) -> SeedReport:
    """Seed ``replica`` from the CSV at ``path`` (rows dated ``since`` or later). Idempotent."""
    report = SeedReport()
    tick = progress or (lambda _phase, _done, _total: None)
    products, customers, invoices, report.rows_read = read(path, since, tick)
    report.rows_used = sum(len(i.lines) for i in invoices)
    store = replica.store_id
    with replica.write() as tx:
        first_seq = _next_seq(tx)
        _seed_catalog(tx, products, report)
        earned = _seed_history(tx, store, invoices, report, tick)
        _seed_customers(tx, store, customers, earned, report)
        _seed_stock(tx, store, products, zone, report)
        tx.execute(
            "INSERT OR REPLACE INTO seed_runs VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (path.name + (f"@{since:%Y-%m-%d}" if since else ""), report.rows_used),
        )
        report.ops_written = _next_seq(tx) - first_seq
    return report


def _next_seq(tx: Tx) -> int:
    return int(tx.execute("SELECT coalesce(max(seq), 0) + 1 FROM outbox").fetchone()[0])


def _seed_catalog(tx: Tx, products: dict[str, Product], report: SeedReport) -> None:
    existing = {str(r[0]) for r in tx.execute("SELECT sku FROM catalog")}
    taken = {str(r[0]) for r in tx.execute("SELECT gtin FROM catalog WHERE gtin IS NOT NULL")}
    rows = []
    for sku, product in sorted(products.items()):
        if sku in existing:
            continue
        gtin: str | None = synthetic_gtin(sku)
        if gtin in taken:
            gtin = None
        else:
            taken.add(gtin)  # type: ignore[arg-type]
        name = product.description or sku
        rows.append((sku, gtin, name, online_retail_category(name), '{"source": "online-retail"}'))
    tx.conn.executemany(
        "INSERT INTO catalog (sku, gtin, name, category, attributes) VALUES (?, ?, ?, ?, ?)", rows
    )
    tx.conn.executemany(
        "INSERT OR IGNORE INTO prices VALUES (?, 0, ?, ?)",
        [(sku, EPOCH, p.price_cents) for sku, p in products.items()],
    )
    report.products = len(rows)


def _seed_history(
    tx: Tx, store: str, invoices: list[Invoice], report: SeedReport, tick: Progress
) -> dict[str, int]:
    """Baseline sales and returns; returns the net points per customer they imply."""
    rules = q.loyalty_rules(tx.conn, EPOCH)
    have_sales = {str(r[0]) for r in tx.execute("SELECT receipt_id FROM sales WHERE baseline = 1")}
    have_returns = {str(r[0]) for r in tx.execute("SELECT return_id FROM returns WHERE baseline = 1")}
    points: dict[str, int] = {}
    sales, sale_lines, returns, return_lines = [], [], [], []
    for n, inv in enumerate(invoices):
        total = sum(qty * cents for _sku, qty, cents in inv.lines)
        hlc = f"{int(datetime.strptime(inv.at, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp() * 1000):013d}.0000.seed"
        if inv.number.startswith("C"):
            reversed_points = points_earned(total, "store", rules) if inv.customer else 0
            if inv.customer:
                points[inv.customer] = points.get(inv.customer, 0) - reversed_points
            if inv.number in have_returns:
                continue
            returns.append(
                (inv.number, None, store, "store", inv.customer, inv.at, hlc, total, reversed_points, store)
            )
            return_lines += [
                (inv.number, i, sku, qty, qty * c) for i, (sku, qty, c) in enumerate(inv.lines, 1)
            ]
        else:
            earned = points_earned(total, "store", rules) if inv.customer else 0
            if inv.customer:
                points[inv.customer] = points.get(inv.customer, 0) + earned
            if inv.number in have_sales:
                continue
            sales.append(
                (inv.number, store, "store", inv.customer, "", inv.at, hlc, total, earned, 0, 0, store)
            )
            sale_lines += [(inv.number, i, sku, qty, c) for i, (sku, qty, c) in enumerate(inv.lines, 1)]
        if n % 2000 == 0:
            tick("writing history", n, len(invoices))
    tx.conn.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", sales)
    tx.conn.executemany("INSERT INTO sale_lines VALUES (?, ?, ?, ?, ?, 0, NULL, 0)", sale_lines)
    tx.conn.executemany("INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", returns)
    tx.conn.executemany("INSERT INTO return_lines VALUES (?, ?, ?, ?, ?)", return_lines)
    tick("writing history", len(invoices), len(invoices))
    report.sales, report.returns = len(sales), len(returns)
    return points


def _seed_customers(
    tx: Tx, store: str, customers: dict[str, str], points: dict[str, int], report: SeedReport
) -> None:
    existing = {str(r[0]) for r in tx.execute("SELECT customer_id FROM customers")}
    now = tx.hlc()
    at = datetime.fromtimestamp(int(now.split(".")[0]) / 1000).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for customer_id, country in sorted(customers.items()):
        if customer_id in existing:
            continue
        card = f"VC-{customer_id}"
        fields = {"name": f"Customer {customer_id}", "card": card, "consent_marketing": False}
        op = tx.emit("customer.upsert", {"customer_id": customer_id, "fields": fields})
        stamps = json.dumps(dict.fromkeys(fields, op.hlc))
        tx.execute(
            "INSERT INTO customers (customer_id, name, card, consent_marketing, attributes, field_hlc, created_at) "
            "VALUES (?, ?, ?, 0, ?, ?, ?)",
            (customer_id, fields["name"], card, json.dumps({"country": country}), stamps, at),
        )
        tx.execute("INSERT OR IGNORE INTO customer_identities VALUES ('card', ?, ?)", (card, customer_id))
        report.customers += 1
        opening = max(0, points.get(customer_id, 0))
        entry_id = f"seed:opening:{customer_id}"  # the same in every store seeded from the file: counted once
        if opening and tx.one("SELECT 1 FROM loyalty_ledger WHERE entry_id = ?", (entry_id,)) is None:
            write_entry(
                tx, store, entry_id=entry_id, customer_id=customer_id, kind="adjust", points=opening,
                ref="seed: opening balance", channel="store", at=at,
            )  # fmt: skip
            report.loyalty_entries += 1


def _seed_stock(tx: Tx, store: str, products: dict[str, Product], zone: str, report: SeedReport) -> None:
    counted = {str(r[0]) for r in tx.execute("SELECT DISTINCT sku FROM stock_counts")}
    for sku, product in sorted(products.items()):
        if sku in counted:
            continue
        qty = max(MIN_OPENING_STOCK, min(MAX_OPENING_STOCK, product.recent_qty // 4))
        record_count(tx, store, sku=sku, zone=zone, qty=qty, session="seed")
        report.stock_counts += 1
