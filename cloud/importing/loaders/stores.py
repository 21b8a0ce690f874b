"""stores.csv: the stores head office declares (``store_directory``), provisioned later or not."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update

from cloud.admin.stores import RESERVED_IDS
from cloud.importing import values as v
from cloud.importing.context import Context
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    d = s.store_directory
    known = {str(k): str(n) for k, n in ctx.conn.execute(select(d.c.store_id, d.c.name))}
    seen: dict[str, int] = {}
    new: list[dict[str, str]] = []
    renamed: list[dict[str, str]] = []
    for row in rows:
        try:
            store = v.store_id(v.text(row.values, "store_id", 32))
            if store in RESERVED_IDS:
                raise v.Bad("bad store id", f"{store!r} is reserved")
            if store in seen:
                raise v.Bad("duplicate store", f"{store} already on line {seen[store]}")
            name = v.text(row.values, "name", 200)
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        seen[store] = row.line
        if store not in known:
            new.append({"store_id": store, "name": name, "created_at": utc_now_text()})
            tally.imported += 1
        elif known[store] != name:
            renamed.append({"k_id": store, "name": name})
            tally.updated += 1
        else:
            tally.unchanged += 1
    if new:
        ctx.conn.execute(d.insert(), new)
    if renamed:
        ctx.conn.execute(
            update(d).where(d.c.store_id == bindparam("k_id")).values(name=bindparam("name")), renamed
        )


def known_stores(ctx: Context) -> set[str]:
    """Stores a row may name: declared by an import, provisioned, or the hub's warehouse."""
    declared = set(ctx.conn.execute(select(s.store_directory.c.store_id)).scalars())
    provisioned = set(ctx.conn.execute(select(s.stores.c.store_id)).scalars())
    return {str(x) for x in declared | provisioned} | {ctx.warehouse}
