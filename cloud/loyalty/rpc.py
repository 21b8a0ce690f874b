"""The loyalty authority as MQTT RPC methods (served through ``sync.rpc.RpcServer``).

Methods (params → result), called by a store on ``vitrine/v1/{store}/rpc/req``; the store is
taken from the topic, never from the params, so a store can only act for itself:

* ``loyalty.authorise``  {customer_id, points, entry_id?} → {approved, reason, balance, customer_id}
* ``loyalty.allowance``  {customer_id, points}            → {lease_id, points, expires_at, ...}
  (only for a customer with a history at that store, :func:`cloud.loyalty.authority.lease_for_store`)
* ``loyalty.balance``    {customer_id}                    → {customer_id, points}

Each call is one short transaction. Errors become an ``error`` answer (the store then falls back
to its allowance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from cloud.errors import InvalidInput
from cloud.loyalty import authority, ledger
from sync.hlc import HybridClock

Handler = Callable[[str, dict[str, Any]], Any]  # (store from the topic, params) -> JSON-able result


def _int(params: dict[str, Any], key: str) -> int:
    value = params.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 1_000_000_000:
        raise InvalidInput(f"{key} must be a positive integer")
    return value


def _str(params: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 128:
        raise InvalidInput(f"{key} must be a string of 1-128 characters")
    return value


def handlers(engine: Engine, clock: HybridClock, allowance_ttl_hours: int = 72) -> dict[str, Handler]:
    def authorise(store: str, params: dict[str, Any]) -> dict[str, Any]:
        with engine.begin() as conn:
            return authority.authorise(
                conn,
                clock,
                store=store,
                customer_id=str(_str(params, "customer_id")),
                points=_int(params, "points"),
                entry_id=_str(params, "entry_id", required=False),
            )

    def allowance(store: str, params: dict[str, Any]) -> dict[str, Any]:
        with engine.begin() as conn:
            return authority.lease_for_store(
                conn,
                clock,
                store=store,
                customer_id=str(_str(params, "customer_id")),
                points=_int(params, "points"),
                ttl_hours=allowance_ttl_hours,
            )

    def balance(_store: str, params: dict[str, Any]) -> dict[str, Any]:
        cid = str(_str(params, "customer_id"))
        with engine.begin() as conn:
            return {"customer_id": cid, "points": ledger.balance(conn, cid)}

    return {"loyalty.authorise": authorise, "loyalty.allowance": allowance, "loyalty.balance": balance}
