"""``sync.history``: a store's own ops as the hub holds them, for ``vitrine-edge restore-from-cloud``.

A store whose replica went back in time (restored from an older backup, emptied) asks for the ops
of its own stream after a seq, page by page, with the hub's mark. Only the calling store's stream
is readable (the store id comes from the RPC topic, which the broker's ACL ties to its user).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from cloud.errors import InvalidInput
from cloud.storage import schema as s
from sync.ops import Op

MAX_PAGE = 2000


def history_page(engine: Engine, store: str, params: dict[str, Any]) -> dict[str, Any]:
    after, limit = params.get("after", 0), params.get("limit", MAX_PAGE)
    if type(after) is not int or after < 0 or type(limit) is not int or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"sync.history needs after >= 0 and 1 <= limit <= {MAX_PAGE}")
    t = s.cloud_ops
    with engine.connect() as conn:
        hwm = conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == store)).scalar() or 0
        rows = conn.execute(
            select(t.c.seq, t.c.hlc, t.c.type, t.c.v, t.c.body)
            .where(t.c.origin == store, t.c.seq > after, t.c.seq <= hwm)
            .order_by(t.c.seq)
            .limit(limit)
        ).all()
    ops = [Op(store, int(r[0]), r[1], r[2], json.loads(r[4]), int(r[3])).to_dict() for r in rows]
    return {"hwm": int(hwm), "ops": ops}
