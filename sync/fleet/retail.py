"""What shoppers buy and who they are, picked from the Online Retail CSV the stores are seeded from.

The most sold product codes and the most frequent customers of the file's last month: every store's
seed (at least one month) holds them, so any store can sell them and any customer is known everywhere.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sync.fleet.errors import FleetError

PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]{0,3}$")  # real products (no POST, M, DOT, gift vouchers...)
LAST_DAYS = 28


@dataclass(frozen=True)
class RetailSlice:
    skus: list[str]
    customers: list[str]


def pick(path: Path, skus: int, customers: int) -> RetailSlice:
    """The ``skus`` best sellers and ``customers`` most frequent buyers of the file's last 28 days."""
    if not path.is_file():
        raise FleetError(f"retail CSV not found: {path} (give --csv)")
    rows: list[tuple[str, int, str, str, str]] = []
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""))
            next(reader, None)
            for row in reader:
                if len(row) < 7 or not PRODUCT_CODE.match(row[1].strip()) or row[0].startswith("C"):
                    continue
                try:
                    qty = int(row[3])
                except ValueError:
                    continue
                if qty > 0:
                    rows.append((row[1].strip(), qty, row[4][:10], row[6].strip(), row[0]))
    except (OSError, EOFError, csv.Error) as err:
        raise FleetError(f"cannot read {path}: {err}") from err
    if not rows:
        raise FleetError(f"{path}: no product rows")
    last = max(r[2] for r in rows)
    year, month, day = (int(x) for x in last.split("-"))
    since = (date(year, month, day) - timedelta(days=LAST_DAYS)).isoformat()
    recent = [r for r in rows if r[2] >= since]
    sold: Counter[str] = Counter()
    visits: dict[str, set[str]] = {}
    for code, qty, _day, customer, invoice in recent:
        sold[code] += qty
        if customer:
            visits.setdefault(customer, set()).add(invoice)
    best = [code for code, _ in sold.most_common(skus)]
    frequent = sorted(visits, key=lambda c: (-len(visits[c]), c))[:customers]
    return RetailSlice(best, frequent)
