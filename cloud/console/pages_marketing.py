"""Marketing: the triggers with their settings, an audience preview (count, sample, consent filter
applied), a run, delivery, per-trigger figures and the delivery log. Roles: admin, marketing."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, MARKETING, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError, InvalidInput
from cloud.marketing import outbox, triggers
from cloud.senders_factory import deliver_pending, sender_for
from cloud.timefmt import utc_now_text

router = APIRouter(prefix="/console", include_in_schema=False)
Marketer = Annotated[ConsoleUser, Depends(page_role(ADMIN, MARKETING))]

DESCRIPTIONS = {
    "not_seen": ("Not seen for N days", "customers whose last visit (any channel) is more than N days old"),
    "points_unused": (
        "Points unused for N days",
        "customers holding points earned more than N days ago, unspent",
    ),
    "points_expiring": ("Points expiring within N days", "customers with points that expire within N days"),
    "post_purchase": (
        "Follow-up N days after a purchase",
        "customers who bought something exactly N days ago",
    ),
}


def _days(text: str | None, trigger: str) -> int:
    try:
        days = int(text) if text else triggers.DEFAULT_DAYS[trigger]
    except ValueError as err:
        raise InvalidInput("days must be a whole number") from err
    if not 1 <= days <= 3650:
        raise InvalidInput("days must be between 1 and 3650")
    return days


def _render(
    request: Request,
    user: ConsoleUser,
    status: int = 200,
    *,
    preview: dict[str, Any] | None = None,
    chosen: tuple[str, int] | None = None,
    log_trigger: str = "",
    done: str | None = None,
    error: str | None = None,
) -> Response:
    with hub_of(request).tx() as conn:
        figures = outbox.figures(conn)
        log = outbox.deliveries(conn, trigger=log_trigger or None, limit=50)
    rows = [
        {
            "key": key,
            "label": DESCRIPTIONS[key][0],
            "rule": DESCRIPTIONS[key][1],
            "days": triggers.DEFAULT_DAYS[key],
        }
        for key in triggers.TRIGGERS
    ]
    if chosen is not None:
        for row in rows:
            if row["key"] == chosen[0]:
                row["days"] = chosen[1]
    sender = hub_of(request).settings.marketing_sender
    return page(
        request,
        "marketing.html",
        user,
        status,
        rows=rows,
        preview=preview,
        chosen=chosen,
        figures=figures,
        log=log,
        log_trigger=log_trigger,
        log_triggers=[f["trigger"] for f in figures],
        sender=sender,
        done=done,
        error=error,
    )


@router.get("/marketing", response_class=HTMLResponse)
def marketing_page(  # noqa: PLR0917 - query parameters
    request: Request,
    user: Marketer,
    trigger: Annotated[str | None, Query(max_length=32)] = None,
    days: Annotated[str | None, Query(max_length=8)] = None,
    log: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if trigger is None:
        return _render(request, user, log_trigger=log, done=done)
    try:
        if trigger not in triggers.TRIGGERS:
            raise InvalidInput(f"unknown trigger {trigger!r}")
        n = _days(days, trigger)
        with hub_of(request).tx() as conn:
            preview = triggers.preview(conn, trigger, n)
    except CloudError as err:
        return _render(request, user, 422, log_trigger=log, error=str(err))
    return _render(request, user, preview=preview, chosen=(trigger, n), log_trigger=log, done=done)


@router.post("/marketing/run", response_class=HTMLResponse)
async def run_trigger(request: Request, user: Marketer) -> Response:
    """Queue the chosen trigger's audience (consent filter and once-per-period rule applied)."""
    fields = await form_fields(request)
    trigger = fields.get("trigger", "")
    try:
        if trigger not in triggers.TRIGGERS:
            raise InvalidInput(f"unknown trigger {trigger!r}")
        n = _days(fields.get("days"), trigger)
        with hub_of(request).tx() as conn:
            found = triggers.audience(conn, trigger, n)
            added = triggers.enqueue(conn, found, utc_now_text())
            audit(conn, user, "marketing.run", {"trigger": found.key, "days": n, "added": added})
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    done = f"queued {added} message(s) for {found.key}"
    query = urlencode({"trigger": trigger, "days": n, "log": found.key, "done": done})
    return RedirectResponse(f"/console/marketing?{query}", status_code=303)


@router.post("/marketing/deliver", response_class=HTMLResponse)
async def deliver_now(request: Request, user: Marketer) -> Response:
    """Deliver what is queued with the configured sender (consent is read again per message)."""
    hub = hub_of(request)
    sender = sender_for(hub.settings)
    if sender is None:
        return _render(
            request,
            user,
            409,
            error="no sender configured: set VITRINE_CLOUD_MARKETING_SENDER (smtp or webhook) and its "
            "settings on the hub (docs/deployment.md, Marketing messages), then restart it",
        )
    result = deliver_pending(hub.engine, hub.settings)
    with hub.tx() as conn:
        audit(conn, user, "marketing.deliver", result)
    summary = ", ".join(f"{k} {v}" for k, v in result.items())
    return RedirectResponse(
        f"/console/marketing?{urlencode({'done': 'delivered: ' + summary})}", status_code=303
    )
