"""What the hub knows of each store, for the fleet view: presence, both sync streams, anomalies, and
the store's last health report (``sync.status_report``: its outbox backlog, clock skew, versions,
bootstrap progress, devices). A store that never sent a report (an older edge) has ``None`` in those
fields, and the page says "not reported" instead of guessing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from cloud import stock
from cloud.storage import schema as s
from cloud.timefmt import age_s, of_hlc

# Facts only the store knows, from its last report: (field here, field of the report).
FROM_REPORT = (
    ("uplink_backlog", "backlog"),
    ("oldest_unacked_age_s", "oldest_unsynced_age_s"),
    ("clock_skew_ms", "clock_skew_ms"),
    ("replica_schema", "schema_version"),
    ("software", "software"),
    ("model", "model"),
    ("bootstrap", "bootstrap"),
    ("devices", "devices"),
)
NOT_REPORTED = "not reported"
ANOMALIES = ("oversold", "overdrafts", "over-refunds", "quarantined")


def _quarantined(conn: Connection) -> dict[str, int]:
    """Quarantined payloads per store (the store is the topic's third level: vitrine/v1/<store>/...)."""
    q = s.quarantine
    out: dict[str, int] = {}
    for topic, n in conn.execute(select(q.c.topic, func.count()).group_by(q.c.topic)):
        parts = str(topic).split("/")
        if len(parts) > 2:
            out[parts[2]] = out.get(parts[2], 0) + int(n)
    return out


def _counts(conn: Connection, column: Any, *where: Any) -> dict[str, int]:
    return {
        str(k): int(n) for k, n in conn.execute(select(column, func.count()).where(*where).group_by(column))
    }


def _over_refunds(conn: Connection) -> dict[str, int]:
    out: dict[str, int] = {}
    for (stores,) in conn.execute(select(s.over_refunds.c.stores)):
        for store in {x for x in str(stores).split(",") if x}:
            out[store] = out.get(store, 0) + 1
    return out


def _stream(conn: Connection, store: str) -> dict[str, Any]:
    hwm = conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == store)).scalar()
    last = None
    if hwm:
        last = conn.execute(
            select(s.cloud_ops.c.v, s.cloud_ops.c.received_at, s.cloud_ops.c.hlc).where(
                s.cloud_ops.c.origin == store, s.cloud_ops.c.seq == hwm
            )
        ).first()
    down_last = conn.execute(
        select(func.coalesce(func.max(s.downlink_ops.c.seq), 0)).where(s.downlink_ops.c.store == store)
    ).scalar_one()
    down_acked = int(
        conn.execute(select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == store)).scalar() or 0
    )
    oldest = None
    if int(down_last) > down_acked:
        hlc = conn.execute(
            select(s.downlink_ops.c.hlc).where(
                s.downlink_ops.c.store == store, s.downlink_ops.c.seq == down_acked + 1
            )
        ).scalar()
        oldest = age_s(of_hlc(hlc)) if hlc else None
    return {
        "uplink_applied_seq": int(hwm or 0),
        "last_op_received_at": last.received_at if last else None,
        "op_schema_version": int(last.v) if last else None,
        "downlink_seq": int(down_last),
        "downlink_acked_seq": down_acked,
        "downlink_backlog": int(down_last) - down_acked,
        "downlink_oldest_unacked_age_s": oldest,
    }


def overview(conn: Connection) -> dict[str, Any]:
    """Every provisioned store with what the hub knows of it, plus fleet-wide anomaly totals."""
    presence = {r.store: r for r in conn.execute(select(s.store_presence))}
    reports = {r.store: (r.received_at, json.loads(r.report)) for r in conn.execute(select(s.store_status))}
    quarantined = _quarantined(conn)
    oversold: dict[str, int] = {}
    for flagged in stock.oversold_report(conn):  # the API's rule: a store's book for a sku, zones summed
        oversold[str(flagged["store"])] = oversold.get(str(flagged["store"]), 0) + 1
    overdrafts = _counts(conn, s.overdrafts.c.store, s.overdrafts.c.store.is_not(None))
    over_refunds = _over_refunds(conn)
    stores = []
    for row in conn.execute(select(s.stores).order_by(s.stores.c.store_id)):
        seen = presence.get(row.store_id)
        stream = _stream(conn, row.store_id)
        received_at, report = reports.get(row.store_id, (None, {}))
        seen_at = seen.seen_at if seen else None
        contacts = [t for t in (stream["last_op_received_at"], seen_at, received_at) if t]
        last_contact = max(contacts) if contacts else None
        stores.append(
            {
                "store_id": row.store_id,
                "name": row.name,
                "active": bool(row.active),
                "state": seen.state if seen else "unknown",
                "state_since": seen.changed_at if seen else None,
                "last_contact": last_contact,
                "last_contact_age_s": age_s(last_contact) if last_contact else None,
                **stream,
                "anomalies": {
                    "oversold": oversold.get(row.store_id, 0),
                    "overdrafts": overdrafts.get(row.store_id, 0),
                    "over-refunds": over_refunds.get(row.store_id, 0),
                    "quarantined": quarantined.get(row.store_id, 0),
                },
                "report_received_at": received_at,
                **{mine: report.get(theirs) for mine, theirs in FROM_REPORT},
            }
        )
        stores[-1]["shown"] = shown(stores[-1])
    totals = {kind: sum(st["anomalies"][kind] for st in stores) for kind in ANOMALIES}
    totals["quarantined"] = int(conn.execute(select(func.count()).select_from(s.quarantine)).scalar_one())
    totals["overdrafts"] = int(conn.execute(select(func.count()).select_from(s.overdrafts)).scalar_one())
    totals["over-refunds"] = int(conn.execute(select(func.count()).select_from(s.over_refunds)).scalar_one())
    online = sum(1 for st in stores if st["state"] == "online")
    return {
        "stores": stores,
        "online": online,
        "total": len(stores),
        "anomalies": totals,
    }


def shown(st: dict[str, Any]) -> dict[str, str]:
    """The report's facts as the page shows them (the template and fleet.js print these strings)."""
    if st["report_received_at"] is None:
        return dict.fromkeys(("backlog", "skew", "versions", "bootstrap", "devices"), NOT_REPORTED)
    age = st["oldest_unacked_age_s"]
    backlog = f"{st['uplink_backlog']} ops" + (
        f", oldest {age:.0f} s" if st["uplink_backlog"] and age else ""
    )
    skew = st["clock_skew_ms"]
    reported = st["model"] or {}
    model = reported.get("model_id") or "no model (popular here)"
    damaged = [d for d in reported.get("damaged") or [] if isinstance(d, dict)]
    if damaged:
        model += "; damaged on disk: " + ", ".join(
            f"{d.get('model_id')} ({d.get('reason')})" for d in damaged
        )
    if reported.get("held"):
        model += "; held until the store trusts the key: " + ", ".join(map(str, reported["held"]))
    boot = st["bootstrap"]
    if boot is None:
        bootstrap = "none (not bootstrapped from the hub)"
    else:
        bootstrap = f"{boot.get('phase') or boot.get('state')} {boot.get('percent', '')}%".strip()
    devices = st["devices"]
    return {
        "backlog": backlog,
        "skew": "not measured yet" if skew is None else f"{int(skew):+d} ms",
        "versions": f"{st['software'] or '?'} / {model}",
        "bootstrap": bootstrap,
        "devices": "no device hub"
        if devices is None
        else f"{len(devices)} device(s)"
        if devices
        else "none configured",
    }


def sync_history(conn: Connection, store: str, limit: int = 50) -> list[dict[str, Any]]:
    """The store's uplink as the hub received it, newest first: ops grouped by the second they arrived."""
    c = s.cloud_ops.c
    query = (
        select(c.received_at, func.count(), func.min(c.seq), func.max(c.seq))
        .where(c.origin == store)
        .group_by(c.received_at)
        .order_by(c.received_at.desc())
        .limit(limit)
    )
    return [
        {"received_at": at, "ops": int(n), "first_seq": int(lo), "last_seq": int(hi)}
        for at, n, lo, hi in conn.execute(query)
    ]


def op_types(conn: Connection, store: str) -> list[dict[str, Any]]:
    c = s.cloud_ops.c
    query = (
        select(c.type, func.count()).where(c.origin == store).group_by(c.type).order_by(func.count().desc())
    )
    return [{"type": t, "ops": int(n)} for t, n in conn.execute(query)]


def anomaly_rows(conn: Connection, kind: str, store: str | None = None) -> list[dict[str, Any]]:
    """The rows behind one anomaly kind (optionally one store's), newest first, at most 500."""
    if kind == "oversold":
        # the rows of GET /admin/v1/stock/oversold; a zone below zero alone (sold from the floor,
        # booked unlocated) is not an oversell
        out: list[dict[str, Any]] = []
        for row in stock.oversold_report(conn):
            if store and row["store"] != store:
                continue
            zones = row["zones"]
            assert isinstance(zones, dict)
            out.append(
                {**row, "zones": ", ".join(f"{zone or '(none)'} {qty}" for zone, qty in zones.items())}
            )
        return out[:500]
    if kind == "overdrafts":
        od = s.overdrafts
        query = select(od).order_by(od.c.id.desc()).limit(500)
        if store:
            query = query.where(od.c.store == store)
        return [dict(r) for r in conn.execute(query).mappings()]
    if kind == "over-refunds":
        o = s.over_refunds
        rows = [
            dict(r) for r in conn.execute(select(o).order_by(o.c.detected_at.desc()).limit(5000)).mappings()
        ]
        return [r for r in rows if not store or store in str(r["stores"]).split(",")][:500]
    if kind == "quarantined":
        q = s.quarantine
        query = select(
            q.c.id, q.c.received_at, q.c.topic, q.c.reason, func.length(q.c.payload).label("bytes")
        )
        if store:
            escaped = store.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(q.c.topic.like(f"vitrine/v1/{escaped}/%", escape="\\"))
        return [dict(r) for r in conn.execute(query.order_by(q.c.id.desc()).limit(500)).mappings()]
    raise KeyError(kind)
