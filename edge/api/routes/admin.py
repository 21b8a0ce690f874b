"""Manager-only: outbox state, integrity check, housekeeping."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from edge.api.auth import MANAGER
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import OutboxStatus
from edge.replica.integrity import check

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[MANAGER], responses=ERROR_RESPONSES)


class IntegrityOut(BaseModel):
    ok: bool
    problems: list[str]
    counts: dict[str, int]


class Expired(BaseModel):
    expired: int


@router.get("/outbox", response_model=OutboxStatus)
def outbox(node: Node) -> OutboxStatus:
    last, acked = node.outbox.last_seq(), node.outbox.acked_seq()
    return OutboxStatus(last_seq=last, acked_seq=acked, backlog=last - acked)


@router.get("/integrity", response_model=IntegrityOut)
def integrity(node: Node) -> IntegrityOut:
    report = check(node.replica.reader(), node.store_id)
    return IntegrityOut(ok=report.ok, problems=report.problems, counts=report.counts)


@router.post("/reservations/expire", response_model=Expired)
def expire_reservations(node: Node) -> Expired:
    return Expired(expired=node.reservations.expire_due())
