"""Store bootstrap from the hub: the snapshot protocol (pure, no I/O).

A freshly provisioned store fills its replica by asking the hub, over the sync link's RPC channel:

* ``bootstrap.open`` {} → the snapshot header: ``hlc`` (the hub's clock when it was taken; the
  opening stock counts carry it), ``catalog_version``, ``price_version``, ``price_lists``
  ``[{id, version, effective_from}]``, ``promotions`` (this store's), ``rules`` (loyalty rule
  bodies) and ``totals`` ``{section: rows}``.
* ``bootstrap.page`` {section, after, limit} → ``{rows: <page>, next: key | null}``: up to
  ``limit`` rows of ``section`` whose key is greater than ``after``, in key order; ``next`` is the
  last key sent, ``null`` when the section is finished.

Sections go in :data:`SECTIONS` order; the store sells once :data:`SELLING_SECTIONS` are in
(catalog and prices), customers and history follow. Paging is keyset paging, so the hub keeps no
per-store state and any worker may answer any page; the store keeps :class:`Cursor` (the last key
applied per section, saved in the same transaction as the page's rows), so a dropped link or a
restart continues where it stopped and nothing is applied twice. Rows changed at the hub during a
bootstrap reach the store through the downlink as usual; applying a page is idempotent and never
overrides a newer checkpoint or a newer customer field (last writer wins by HLC).

A page is ``base64(zstd(columnar JSON))``: ``{"k": [keys], "c": [[column values]...]}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import zstandard

from sync.errors import MalformedOp

OPEN = "bootstrap.open"
PAGE = "bootstrap.page"
SECTIONS: tuple[str, ...] = ("catalog", "prices", "stock", "customers", "sales")
SELLING_SECTIONS = frozenset({"catalog", "prices"})
MAX_PAGE_ROWS = 20_000
MAX_PAGE_BYTES = 64 * 1024 * 1024  # decoded; a page never inflates beyond this
ZSTD_LEVEL = 12
KEY_SEP = "\x1f"  # composite keys (price list id + sku, sku + zone)


def encode_page(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts sharing one key set) as a compressed columnar page."""
    keys: list[str] = sorted(rows[0]) if rows else []
    doc = {"k": keys, "c": [[row[k] for row in rows] for k in keys]}
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw)).decode("ascii")


def decode_page(text: str) -> list[dict[str, Any]]:
    """The rows of a page; raises :class:`MalformedOp` on anything that is not one."""
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=True)
        raw = zstandard.ZstdDecompressor().decompress(packed, max_output_size=MAX_PAGE_BYTES)
        doc = json.loads(raw)
        keys, columns = doc["k"], doc["c"]
    except (binascii.Error, UnicodeError, zstandard.ZstdError, ValueError, KeyError, TypeError) as err:
        raise MalformedOp(f"bad bootstrap page: {err}") from err
    if not isinstance(keys, list) or not isinstance(columns, list) or len(keys) != len(columns):
        raise MalformedOp("bad bootstrap page: keys and columns differ")
    if len({len(c) for c in columns}) > 1 or not all(isinstance(c, list) for c in columns):
        raise MalformedOp("bad bootstrap page: ragged columns")
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


@dataclass
class SectionCursor:
    total: int = 0
    done: int = 0
    after: str = ""
    complete: bool = False


@dataclass
class Cursor:
    """Where a store's bootstrap stands: the snapshot header and, per section, the last key applied."""

    header: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, SectionCursor] = field(default_factory=dict)

    @classmethod
    def opened(cls, header: dict[str, Any]) -> Cursor:
        """The cursor of a new snapshot (``bootstrap.open`` answer, checked)."""
        totals = header.get("totals")
        if not isinstance(totals, dict) or not isinstance(header.get("hlc"), str):
            raise MalformedOp("bootstrap.open answer lacks totals or hlc")
        sections = {name: SectionCursor(total=int(totals.get(name) or 0)) for name in SECTIONS}
        return cls(header=header, sections=sections)

    @property
    def started(self) -> bool:
        return bool(self.header)

    def next_section(self) -> str | None:
        if not self.started:
            return None
        return next((name for name in SECTIONS if not self.sections[name].complete), None)

    def request(self, limit: int) -> dict[str, Any] | None:
        """The next ``bootstrap.page`` params, or None when every section is in."""
        name = self.next_section()
        if name is None:
            return None
        return {"section": name, "after": self.sections[name].after, "limit": min(limit, MAX_PAGE_ROWS)}

    def advance(self, section: str, rows: int, next_key: str | None) -> None:
        """Record a page applied: ``rows`` rows, the section ends when ``next_key`` is None."""
        cur = self.sections[section]
        cur.done += rows
        cur.total = max(cur.total, cur.done)
        if next_key is None:
            cur.complete = True
        else:
            cur.after = next_key

    @property
    def selling(self) -> bool:
        return self.started and all(self.sections[name].complete for name in SELLING_SECTIONS)

    @property
    def complete(self) -> bool:
        return self.started and all(c.complete for c in self.sections.values())

    def progress(self) -> dict[str, Any]:
        rows = sum(c.total for c in self.sections.values())
        done = sum(c.done if not c.complete else c.total for c in self.sections.values())
        return {
            "phase": "complete" if self.complete else (self.next_section() or "not opened"),
            "selling": self.selling,
            "complete": self.complete,
            "percent": round(100.0 * done / rows, 1) if rows else (100.0 if self.complete else 0.0),
            "sections": {
                name: {"done": c.done, "total": c.total, "complete": c.complete}
                for name, c in self.sections.items()
            },
        }

    def to_json(self) -> str:
        return json.dumps(
            {"header": self.header, "sections": {n: vars(c) for n, c in self.sections.items()}},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        doc = json.loads(text)
        return cls(
            header=dict(doc["header"]),
            sections={n: SectionCursor(**c) for n, c in dict(doc["sections"]).items()},
        )


def page_answer(rows: list[dict[str, Any]], last_key: str | None, limit: int) -> dict[str, Any]:
    """The hub's ``bootstrap.page`` answer: ``rows`` (at most ``limit``, in key order) and the key
    of the last one; ``next`` is null when the page was not full (the section is finished)."""
    return {"rows": encode_page(rows), "count": len(rows), "next": last_key if len(rows) >= limit else None}


def split_key(key: str) -> tuple[str, str]:
    """The two parts of a composite key ``a\x1fb`` (``("", "")`` for the empty start key)."""
    first, _sep, second = key.partition(KEY_SEP)
    return first, second


def join_key(first: str, second: str) -> str:
    return f"{first}{KEY_SEP}{second}"
