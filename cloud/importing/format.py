"""The neutral import format: which files, which columns (documented in ``docs/import.md``).

A directory of UTF-8 CSV files with a header row, one file per entity, every file optional. The
column tables here are the single source of the format; the loaders read rows by these names.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMAT_VERSION = "vitrine-import/1"
MANIFEST = "manifest.json"
REPORT_FILE = "import-report.json"
REJECTS_FILE = "import-rejects.csv"
SOURCE_REJECTS_FILE = "source-rejects.csv"  # an adapter's own skipped source rows
ATTRIBUTE_PREFIX = "attr_"  # products.csv: attr_size, attr_colour ... become variant attributes


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    open_attributes: bool = False  # accepts any ``attr_*`` column

    def check_header(self, header: list[str]) -> list[str]:
        """What is wrong with ``header`` (empty when it is usable)."""
        problems = []
        missing = [c for c in self.required if c not in header]
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        known = set(self.required) | set(self.optional)
        unknown = [
            c
            for c in header
            if c not in known and not (self.open_attributes and c.startswith(ATTRIBUTE_PREFIX) and c[5:])
        ]
        if unknown:
            problems.append(f"unknown column(s) {', '.join(repr(c) for c in unknown)}")
        duplicated = sorted({c for c in header if header.count(c) > 1})
        if duplicated:
            problems.append(f"duplicated column(s) {', '.join(duplicated)}")
        return problems

    def describe(self) -> str:
        extra = f"; optional: {', '.join(self.optional)}" if self.optional else ""
        attrs = f"; any {ATTRIBUTE_PREFIX}<name>" if self.open_attributes else ""
        return f"required: {', '.join(self.required)}{extra}{attrs}"


# In load order: a file may refer to what the files before it (or the hub) hold.
FILES: tuple[FileSpec, ...] = (
    FileSpec("stores.csv", ("store_id", "name")),
    FileSpec("products.csv", ("sku", "name"), ("gtin", "category", "unit"), open_attributes=True),
    FileSpec("prices.csv", ("price_list", "effective_from", "sku", "price")),
    FileSpec(
        "customers.csv",
        ("customer_id",),
        (
            "name",
            "email",
            "phone",
            "card",
            "marketing_consent",
            "consent_at",
            "consent_channel",
            "consent_wording",
        ),
    ),
    FileSpec(
        "sales.csv",
        ("receipt_id", "store", "channel", "datetime", "sku", "quantity", "unit_price"),
        ("customer_id", "discount", "original_receipt_id"),
    ),
    FileSpec("stock.csv", ("store", "sku", "quantity"), ("zone",)),
)
SPECS = {spec.name: spec for spec in FILES}

# Products sold by measure (their quantities may be decimal); "each" is the default.
UNITS = frozenset({"each", "kg", "g", "l", "ml", "m"})
