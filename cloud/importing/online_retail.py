"""Adapter: the UCI Online Retail file (``InvoiceNo,StockCode,Description,Quantity,InvoiceDate,
UnitPrice,CustomerID,Country``) into the neutral import format. How each field is mapped, and
how the demo assigns stores (``Country`` is not a store), is documented in docs/import.md.

Every source row is either written to ``sales.csv`` or skipped with a reason (counted, and listed
in ``source-rejects.csv``); rows read = rows written + rows skipped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cloud.importing import values as v
from cloud.importing.errors import UnusableInput
from cloud.importing.format import FORMAT_VERSION, MANIFEST, SOURCE_REJECTS_FILE, SPECS
from cloud.importing.reader import Progress
from cloud.importing.tally import RejectsWriter
from models.data import ONLINE_RETAIL_HEADER, ONLINE_RETAIL_PRODUCT_CODE, online_retail_category

PRICE_LIST = "online-retail"
CONSENT_WORDING = "demo-newsletter-v1"
RECENT_DAYS = 28
MIN_STOCK, MAX_STOCK = 6, 400
OUT_OF_STOCK_PERCENT = 10
_TICK_ROWS = 5000
BEFORE_WINDOW = "before the --months window"
BEYOND_MAX_PRODUCTS = "beyond --max-products"


@dataclass
class ConvertReport:
    source: Path
    out: Path
    rows_read: int = 0
    rows_used: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    written: dict[str, int] = field(default_factory=dict)
    window: tuple[str, str] = ("", "")

    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + sum(self.skipped.values())

    def lines(self) -> list[str]:
        skipped = sum(self.skipped.values())
        text = f"{self.source.name}: {self.rows_read:,} rows read, {self.rows_used:,} converted, {skipped:,} skipped"
        if self.skipped:
            text += " (" + ", ".join(f"{r} {n:,}" for r, n in self.skipped.most_common()) + ")"
        out = [text, f"window {self.window[0]} .. {self.window[1]}"]
        out.append(
            "wrote " + ", ".join(f"{name} {n:,}" for name, n in self.written.items()) + f" in {self.out}"
        )
        return out


@dataclass
class _Sold:
    invoice: str
    code: str
    description: str
    qty: int
    at: str  # YYYY-MM-DD HH:MM:SS as in the source
    cents: int
    customer: str
    line: int


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def home_store(customer: str, stores: Sequence[str]) -> str:
    return stores[_hash("home:" + customer) % len(stores)]


def _month_start(day: str, months_back: int) -> str:
    year, month = int(day[:4]), int(day[5:7]) - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1).isoformat()


def _raw(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(row)
    return buf.getvalue()


def convert(
    source: Path,
    out: Path,
    stores: Sequence[str],
    *,
    months: int | None = None,
    max_products: int | None = None,
    online_percent: int = 20,
    consent_percent: int = 70,
    progress: Progress | None = None,
) -> ConvertReport:
    """Write the neutral format for ``source`` into ``out`` (created), with ``stores`` as the
    fleet. ``months`` keeps the file's last N calendar months; ``max_products`` the N best sellers
    of that window. Raises :class:`UnusableInput` when the file is not the Online Retail layout."""
    stores = [v.store_id(s) if _valid_store(s) else _bad_store(s) for s in stores]
    if not stores or len(set(stores)) != len(stores):
        raise UnusableInput("give one or more distinct store ids (--stores store-1,store-2)")
    if (months is not None and months < 1) or (max_products is not None and max_products < 1):
        raise UnusableInput("--months and --max-products must be 1 or more")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UnusableInput(f"cannot create {out}: {err}") from err
    report = ConvertReport(source, out)
    rejects = RejectsWriter(out / SOURCE_REJECTS_FILE)
    (out / SOURCE_REJECTS_FILE).unlink(missing_ok=True)
    try:
        since = _since(source, months)
        sold = _read(source, report, rejects, since, progress)
        sold = _select(sold, report, since, max_products)
        _write(
            out=out,
            sold=sold,
            stores=stores,
            report=report,
            online_percent=online_percent,
            consent_percent=consent_percent,
        )
    except OSError as err:
        raise UnusableInput(f"cannot convert {source}: {err}") from err
    finally:
        rejects.close()
    return report


def _valid_store(store: str) -> bool:
    try:
        v.store_id(store)
    except v.Bad:
        return False
    return True


def _bad_store(store: str) -> str:
    raise UnusableInput(f"bad store id {store!r}: use [a-z0-9][a-z0-9_-]{{0,31}}")


def _rows(source: Path, progress: Progress | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every data row; raises :class:`UnusableInput` for another layout."""
    if not source.is_file():
        raise UnusableInput(f"{source}: no such file (the UCI Online Retail CSV, .csv or .csv.gz)")
    total = source.stat().st_size
    with open(source, "rb") as binary:
        stream = gzip.GzipFile(fileobj=binary) if source.name.endswith(".gz") else binary
        reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""))
        line = 1
        try:
            header = next(reader, None)
            if (
                header is None
                or tuple(h.strip() for h in header[: len(ONLINE_RETAIL_HEADER)]) != ONLINE_RETAIL_HEADER
            ):
                raise UnusableInput(
                    f"{source}: not the Online Retail layout (header {header}, expected {','.join(ONLINE_RETAIL_HEADER)})"
                )
            for row in reader:
                line += 1
                if progress is not None and line % _TICK_ROWS == 0:
                    progress(source.name, binary.tell(), total)
                yield line, row
        except (OSError, EOFError, csv.Error) as err:
            raise UnusableInput(f"{source}: unreadable after line {line}: {err}") from err
    if progress is not None:
        progress(source.name, total, total)


def _since(source: Path, months: int | None) -> str:
    """First day of the ``months`` last calendar months of the file ("" for the whole file)."""
    if not months:
        return ""
    last = max((row[4] for _line, row in _rows(source) if len(row) == len(ONLINE_RETAIL_HEADER)), default="")
    if not last:
        raise UnusableInput(f"{source}: no sales rows")
    return _month_start(last[:10], months - 1)


def _read(
    source: Path, report: ConvertReport, rejects: RejectsWriter, since: str, progress: Progress | None
) -> list[_Sold]:
    """Rows from ``since`` on, parsed; earlier rows are counted as left out by ``--months``."""
    sold: list[_Sold] = []
    before = 0
    for line, row in _rows(source, progress):
        report.rows_read += 1
        if since and len(row) == len(ONLINE_RETAIL_HEADER) and row[4] < since:
            before += 1
            continue
        item, reason = _parse(row, line)
        if item is None:
            report.skipped[reason] += 1
            rejects.write(source.name, line, reason, "", _raw(row))
        else:
            sold.append(item)
    if before:
        report.skipped[BEFORE_WINDOW] += before
    return sold


def _parse(row: list[str], line: int) -> tuple[_Sold | None, str]:
    if len(row) != len(ONLINE_RETAIL_HEADER):
        return None, "malformed row"
    invoice, code, description, qty_text, at, price_text, customer, _country = (c.strip() for c in row)
    try:
        qty = int(qty_text)
        price = Decimal(price_text)
        date.fromisoformat(at[:10])
    except (ValueError, InvalidOperation):
        return None, "malformed row"
    cancel = invoice.startswith("C")
    if not (invoice[1:] if cancel else invoice).isdigit():
        return None, "not a sales invoice"
    if not ONLINE_RETAIL_PRODUCT_CODE.match(code):
        return None, "not a product (postage, fees, manual lines)"
    cents = int((price * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if cents <= 0:
        return None, "no unit price (free goods, adjustments)"
    if qty == 0 or (qty < 0) != cancel:
        return None, "quantity sign does not match the invoice (stock adjustment)"
    customer = customer.removesuffix(".0")
    return _Sold(invoice, code, description, qty, at, cents, customer, line), ""


def _select(sold: list[_Sold], report: ConvertReport, since: str, max_products: int | None) -> list[_Sold]:
    """The ``--max-products`` best sellers of the window: rows left out are counted, not listed."""
    if not sold:
        raise UnusableInput(f"{report.source}: no sales rows in the selected window")
    report.window = (since or min(s.at for s in sold)[:10], max(s.at for s in sold)[:10])
    if max_products:
        units: Counter[str] = Counter()
        for s in sold:
            units[s.code] += max(s.qty, 0)
        best = set(sorted(units, key=lambda c: (-units[c], c))[:max_products])
        chosen = [s for s in sold if s.code in best]
        if len(chosen) < len(sold):
            report.skipped[BEYOND_MAX_PRODUCTS] += len(sold) - len(chosen)
        sold = chosen
    report.rows_used = len(sold)
    return sold


def _csv(out: Path, name: str, rows: list[dict[str, Any]], report: ConvertReport) -> None:
    spec = SPECS[name]
    with open(out / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*spec.required, *spec.optional], extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    report.written[name] = len(rows)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _iso(at: str) -> str:
    return at.replace(" ", "T")


def _write(
    *,
    out: Path,
    sold: list[_Sold],
    stores: list[str],
    report: ConvertReport,
    online_percent: int,
    consent_percent: int,
) -> None:
    (out / MANIFEST).write_text(
        json.dumps(
            {
                "format": FORMAT_VERSION,
                "synthetic_gtins": True,
                "source": f"UCI Online Retail ({report.source.name})",
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    _csv(
        out,
        "stores.csv",
        [{"store_id": s, "name": s.replace("-", " ").replace("_", " ").title()} for s in stores],
        report,
    )
    latest: dict[str, _Sold] = {}  # the most recent row of each product (file order breaks ties)
    named: dict[str, tuple[str, str]] = {}  # its most recent non-empty description
    for s in sold:
        if s.code not in latest or s.at >= latest[s.code].at:
            latest[s.code] = s
        if s.description and (s.code not in named or s.at >= named[s.code][0]):
            named[s.code] = (s.at, s.description)
    codes = sorted(latest)
    _csv(
        out,
        "products.csv",
        [
            {
                "sku": c,
                "name": named[c][1] if c in named else c,
                "gtin": "",
                "category": online_retail_category(named[c][1] if c in named else ""),
                "unit": "each",
            }
            for c in codes
        ],
        report,
    )
    _csv(
        out,
        "prices.csv",
        [
            {
                "price_list": PRICE_LIST,
                "effective_from": report.window[0],
                "sku": c,
                "price": _money(latest[c].cents),
            }
            for c in codes
        ],
        report,
    )
    first_seen: dict[str, str] = {}
    for s in sold:
        if s.customer and (s.customer not in first_seen or s.at < first_seen[s.customer]):
            first_seen[s.customer] = s.at
    customers = []
    for cid in sorted(first_seen):
        consents = _hash("consent:" + cid) % 100 < consent_percent
        customers.append(
            {
                "customer_id": cid,
                "name": f"Customer {cid}",
                "email": f"customer-{cid}@example.com",
                "marketing_consent": "yes" if consents else "no",
                "consent_at": _iso(first_seen[cid]) if consents else "",
                "consent_channel": "store" if consents else "",
                "consent_wording": CONSENT_WORDING if consents else "",
            }
        )
    _csv(out, "customers.csv", customers, report)
    heads: dict[str, tuple[str, str, str]] = {}
    rows = []
    for s in sold:
        if s.invoice not in heads:
            heads[s.invoice] = _receipt_head(s, stores, online_percent)
        store, channel, at = heads[s.invoice]
        rows.append(
            {
                "receipt_id": s.invoice,
                "store": store,
                "channel": channel,
                "customer_id": s.customer,
                "datetime": at,
                "sku": s.code,
                "quantity": str(s.qty),
                "unit_price": _money(s.cents),
                "discount": "",
                "original_receipt_id": "",
            }
        )
    _csv(out, "sales.csv", rows, report)
    _csv(out, "stock.csv", _opening_stock(sold, codes, stores), report)


def _receipt_head(s: _Sold, stores: list[str], online_percent: int) -> tuple[str, str, str]:
    """(store, channel, datetime) of an invoice: a customer's baskets go to their home store,
    or online for a stable share of invoices; anonymous baskets to a store by invoice number."""
    if s.customer and _hash("online:" + s.invoice.lstrip("C")) % 100 < online_percent:
        return "", "online", _iso(s.at)
    store = (
        home_store(s.customer, stores) if s.customer else stores[_hash("store:" + s.invoice) % len(stores)]
    )
    return store, "store", _iso(s.at)


def _opening_stock(sold: list[_Sold], codes: list[str], stores: list[str]) -> list[dict[str, Any]]:
    """Each store holds a product in proportion to its recent sales (bounded), and a stable tenth
    of (store, product) pairs are out of stock, so the fleet has something to look for elsewhere."""
    last = max(s.at for s in sold)[:10]
    since = date.fromordinal(date.fromisoformat(last).toordinal() - RECENT_DAYS).isoformat()
    recent: dict[str, int] = defaultdict(int)
    for s in sold:
        if s.at >= since and s.qty > 0:
            recent[s.code] += s.qty
    rows = []
    for store in stores:
        for code in codes:
            if _hash(f"stock:{store}:{code}") % 100 < OUT_OF_STOCK_PERCENT:
                qty = 0
            else:
                qty = max(MIN_STOCK, min(MAX_STOCK, recent[code] // len(stores)))
            rows.append({"store": store, "sku": code, "quantity": str(qty), "zone": ""})
    return rows
