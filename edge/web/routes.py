"""The web UI router: page shells at ``/kiosk``, ``/handheld``, ``/manager``, assets under ``/static``,
and the two small JSON endpoints the pages need beyond the edge API (staff PIN sign-in, QR as SVG).

Mount with :func:`mount_web_ui` from the app factory; nothing here runs at import time.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from drivers.tokens import issue_pickup_token
from edge.api.auth import Role, caller_role, require
from edge.api.deps import Node
from edge.api.presence import CallerPresence, card_token_for, keyring_of
from edge.bootstrap.status import bootstrap_status
from edge.settings import EdgeSettings
from edge.web.dashboard import Dashboard, dashboard
from edge.web.pins import Lockout, verify_pin
from edge.web.qr import qr_svg
from edge.web.settings import WebSettings, load_web_settings
from sync.rpc import RpcError, RpcTimeout

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
KIOSK_STRINGS = WEB_DIR / "i18n" / "kiosk.json"
# The version of the loyalty terms and privacy notice in KIOSK_STRINGS (``terms_text``): change it
# whenever that text changes.
TERMS_VERSION = "2026-12-05"
RPC_TIMEOUT_S = 3.0
NO_CLOUD = (
    "Ordering from another store needs the link to head office, which is down right now. "
    "Ask a member of staff to call that store, or try again later."
)
# Pages are shells without customer data; the CSP keeps every fetch on the edge itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


DEVICE_ID = r"^[A-Za-z0-9._-]{8,64}$"
NEW_DEVICES = "*new-devices*"  # the store-wide bound on wrong PINs from devices never signed in here
MAX_KNOWN_DEVICES = 10_000  # devices (and lockout labels) remembered, so random ids cannot fill memory


class SignInRequest(BaseModel):
    pin: str = Field(pattern=r"^[0-9]{4,12}$", description="the staff member's PIN, 4 to 12 digits")
    device: str | None = Field(
        default=None,
        pattern=DEVICE_ID,
        description="the browser's own random id (kept in its storage): wrong PINs are counted per device",
    )
    label: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9 ._-]{1,40}$",
        description="the name staff know the device by (e.g. handheld-1), shown to the manager who unlocks",
    )


class LockedDevice(BaseModel):
    device: str
    label: str
    failures: int
    retry_after_s: float


class SignInResponse(BaseModel):
    token: str
    role: str
    name: str


class WhoAmI(BaseModel):
    role: str
    store: str


class SyncView(BaseModel):
    configured: bool = Field(description="false when this edge runs without a sync link")
    online: bool
    backlog: int = Field(description="ops written but not yet acknowledged by the cloud")
    oldest_unsynced_age_s: float | None
    last_contact_age_s: float | None = Field(description="seconds since the last ack or batch from the cloud")
    bootstrap: dict[str, Any] | None = Field(
        default=None, description="bootstrap from the hub (null when this replica was never bootstrapped)"
    )
    recovery: str | None = Field(
        default=None, description="the cloud holds ops this replica lost: selling is stopped, what to run"
    )
    clock_skew_ms: int | None = Field(
        default=None, description="this box's clock minus the hub's (last measured)"
    )
    clock_warning: str | None = Field(default=None, description="set when the skew is beyond the threshold")


class PickupOrderRequest(BaseModel):
    customer_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
    sku: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
    qty: int = Field(default=1, ge=1, le=5, strict=True)
    store: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the store that has the item")


class PickupOrderView(BaseModel):
    order_id: str
    store: str
    state: str
    qty: int
    pickup_code: str = Field(description="what the customer shows at the pickup store (the order number)")
    pickup_qr_svg: str = Field(
        description="the pickup QR as SVG: a signed pickup token when the device hub has a keyring "
        "(the pickup store's handheld hands the order over on it), else the order number"
    )


# The hub's refusal kinds (RpcError.code) as the reason codes the kiosk translates.
# The hub's refusal codes (RpcRefusal codes, or the exception's kind) -> (HTTP status, the kiosk's reason)
ORDER_REFUSALS = {
    "out_of_stock": (409, "out_of_stock"),
    "OutOfStock": (409, "out_of_stock"),
    "unknown_product": (404, "unknown_product"),
    "retry": (409, "retry"),
    "InvalidInput": (409, "order_invalid"),
    "NotFound": (409, "order_invalid"),
}
PICKUP_TOKEN_TTL_S = 30 * 24 * 3600


class LinkView(BaseModel):
    online: bool = Field(description="the hub answers now: redemptions are authorised by head office")
    configured: bool = Field(description="false when this edge runs without a sync link")


class CardRequest(BaseModel):
    customer_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class RevalidatedStaticFiles(StaticFiles):
    """Static assets that the browser revalidates on every use (a 304 on the LAN), so an upgraded
    edge never runs with stale scripts; ES-module imports carry no version query."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def asset_version() -> str:
    """A short hash of every static asset, appended to asset URLs so a new release is never stale."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build_web_router(edge: EdgeSettings, web: WebSettings) -> APIRouter:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    strings: dict[str, dict[str, str]] = json.loads(KIOSK_STRINGS.read_text(encoding="utf-8"))
    version = asset_version()
    lockout = Lockout(max_failures=web.pin_max_failures, window_s=web.pin_lockout_seconds)
    new_devices = Lockout(max_failures=web.pin_max_failures * 10, window_s=web.pin_lockout_seconds)
    known_devices: set[str] = set()
    labels: dict[str, str] = {NEW_DEVICES: "devices never signed in here"}
    managers = ", ".join(sorted(name for name, entry in web.staff_pins.items() if entry.role == "manager"))
    who_helps = (
        f"ask a manager ({managers}) to unlock it on the manager page" if managers else "ask IT support"
    )
    role_tokens = {"staff": edge.staff_token, "manager": edge.manager_token}
    router = APIRouter(tags=["web"])

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        base = {"store_id": edge.store_id, "v": version}
        response = templates.TemplateResponse(request, name, {**base, **context})
        response.headers.update(SECURITY_HEADERS)
        return response

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index_page(request: Request) -> HTMLResponse:
        """The store's address opened in a browser: links to its pages (was a bare 404)."""
        return page(request, "index.html", lang="en")

    @router.get("/kiosk", response_class=HTMLResponse, include_in_schema=False)
    def kiosk_page(request: Request) -> HTMLResponse:
        lang = web.kiosk_language
        return page(
            request,
            "kiosk.html",
            lang=lang,
            t=strings[lang],
            strings_json=json.dumps(strings, ensure_ascii=False).replace("</", "<\\/"),
            terms_version=TERMS_VERSION,
            idle_seconds=web.kiosk_idle_seconds,
            warning_seconds=web.kiosk_warning_seconds,
        )

    @router.get("/handheld", response_class=HTMLResponse, include_in_schema=False)
    def handheld_page(request: Request) -> HTMLResponse:
        return page(request, "handheld.html", lang="en", default_zone=edge.default_zone)

    @router.get("/manager", response_class=HTMLResponse, include_in_schema=False)
    def manager_page(request: Request) -> HTMLResponse:
        return page(request, "manager.html", lang="en", refresh_seconds=web.manager_refresh_seconds)

    @router.post(
        "/ui/sign-in",
        response_model=SignInResponse,
        responses={401: {"description": "wrong PIN"}, 429: {"description": "too many wrong PINs"}},
    )
    def sign_in(body: SignInRequest, request: Request) -> SignInResponse:
        """Exchange a staff PIN for the bearer token of the staff member's role.

        Wrong PINs are counted per device (the browser's ``device`` id; the client address only when
        a page sends none, since behind a reverse proxy every device has the proxy's address). After
        ``pin_max_failures`` the device waits ``pin_lockout_seconds`` or a manager unlocks it; other
        devices, the manager's included, keep working. Devices never signed in on this edge also share
        a store-wide bound (ten times as many failures), so fresh ids cannot be used to guess PINs.
        """
        client = body.device or f"address {request.client.host if request.client else 'unknown'}"
        label = body.label or client
        wait = lockout.retry_after(client)
        if wait > 0:
            raise HTTPException(
                status_code=429,
                detail=(
                    f"Too many wrong PINs on this device ({label}). Wait {int(wait) + 1} s and try again, "
                    f"or {who_helps}."
                ),
                headers={"Retry-After": str(int(wait) + 1), "X-Vitrine-Reason": "pin_locked"},
            )
        wait = 0.0 if client in known_devices else new_devices.retry_after(NEW_DEVICES)
        if wait > 0:
            raise HTTPException(
                status_code=429,
                detail=(
                    f"Too many wrong PINs from new devices in this store. Wait {int(wait) + 1} s, use a "
                    f"device already signed in here, or {who_helps}."
                ),
                headers={"Retry-After": str(int(wait) + 1), "X-Vitrine-Reason": "pin_locked"},
            )
        for name, entry in web.staff_pins.items():
            if verify_pin(body.pin, entry.pin_hash):
                lockout.succeeded(client)
                labels.pop(client, None)
                if body.device and len(known_devices) < MAX_KNOWN_DEVICES:
                    known_devices.add(client)
                token = role_tokens[entry.role].get_secret_value()
                return SignInResponse(token=token, role=entry.role, name=name)
        lockout.failed(client)
        if len(labels) >= MAX_KNOWN_DEVICES:  # bounded memory: forget the labels of unlocked devices
            for other in [d for d in labels if d != NEW_DEVICES and lockout.retry_after(d) == 0]:
                labels.pop(other)
        labels[client] = label
        if client not in known_devices:
            new_devices.failed(NEW_DEVICES)
        if not web.staff_pins:
            raise HTTPException(
                status_code=401,
                detail="No staff PIN is configured on this edge. Ask IT to set VITRINE_WEB_STAFF_PINS.",
            )
        raise HTTPException(status_code=401, detail="Wrong PIN. Check it and try again.")

    @router.get(
        "/ui/manager/lockouts",
        response_model=list[LockedDevice],
        dependencies=[Depends(require(Role.MANAGER))],
    )
    def locked_devices() -> list[LockedDevice]:
        """Devices refused sign-in after too many wrong PINs, with the seconds left."""
        rows = [*lockout.locked(), *new_devices.locked()]
        return [
            LockedDevice(device=d, label=labels.get(d, d), failures=n, retry_after_s=round(w, 1))
            for d, n, w in rows
        ]

    @router.post(
        "/ui/manager/lockouts/{device}/unlock",
        status_code=204,
        responses={404: {"description": "that device is not locked"}},
        dependencies=[Depends(require(Role.MANAGER))],
    )
    def unlock_device(device: str) -> Response:
        """A manager lets a locked device try PINs again at once."""
        if not (lockout.clear(device) or new_devices.clear(device)):
            raise HTTPException(
                status_code=404, detail="That device is not locked (any more). Refresh the list."
            )
        return Response(status_code=204)

    @router.get("/ui/whoami", response_model=WhoAmI)
    def whoami(role: Role = Depends(caller_role)) -> WhoAmI:
        """The role of the presented token (the kiosk set-up step refuses anything but a kiosk token)."""
        return WhoAmI(role=role.name.lower(), store=edge.store_id)

    @router.get(
        "/ui/manager/dashboard", response_model=Dashboard, dependencies=[Depends(require(Role.MANAGER))]
    )
    def manager_dashboard(node: Node) -> Dashboard:
        """Today's sales (store-local day of the edge box), low stock, RFID discrepancies, recent returns."""
        now = node.catalog.ctx.now().astimezone()  # the edge box's local time zone is the store's
        return dashboard(node.replica.reader(), now, web.low_stock_threshold)

    @router.get("/ui/manager/sync", response_model=SyncView, dependencies=[Depends(require(Role.MANAGER))])
    def manager_sync(request: Request, node: Node) -> SyncView:
        """The sync link's status (online, backlog, oldest unsynced op, last cloud contact)."""
        link = getattr(request.app.state, "sync_link", None)
        clock = node.hub_clock.status()
        booting = bootstrap_status(request.app, node)
        if link is None:
            backlog = max(0, node.outbox.last_seq() - node.outbox.acked_seq())
            return SyncView(
                configured=False,
                online=False,
                backlog=backlog,
                oldest_unsynced_age_s=None,
                last_contact_age_s=None,
                bootstrap=booting,
                clock_skew_ms=clock.skew_ms,
                clock_warning=clock.warning,
            )
        status = link.status()
        contact = status.last_contact_at
        return SyncView(
            configured=True,
            online=status.online,
            backlog=status.backlog,
            oldest_unsynced_age_s=status.oldest_unsynced_age_s,
            last_contact_age_s=None if contact is None else max(0.0, time.time() - contact),
            bootstrap=booting,
            recovery=node.replica.recovery or status.recovery,
            clock_skew_ms=clock.skew_ms,
            clock_warning=clock.warning,
        )

    @router.post(
        "/ui/kiosk/pickup-orders",
        response_model=PickupOrderView,
        status_code=201,
        responses={
            404: {"description": "head office does not sell it (X-Vitrine-Reason: unknown_product)"},
            409: {
                "description": "refused (X-Vitrine-Reason: out_of_stock — the detail names the stores that "
                "have it or says none does; retry — try again in a minute; no_cloud_link — no link now)"
            },
        },
    )
    def pickup_order(
        body: PickupOrderRequest, request: Request, node: Node, presence: CallerPresence
    ) -> PickupOrderView:
        """Order an item held by another store, for click & collect there, placed by the cloud.

        Orders are cloud-owned (DESIGN.md), so this asks the hub over the sync link's RPC channel
        (method ``orders.place``); with no cloud link the kiosk says to reserve in that store instead.
        A kiosk needs the customer's loyalty card (``X-Vitrine-Card``).
        """
        presence.check_customer(node, body.customer_id)
        node.customers.get(body.customer_id)
        # No local catalog check: the hub decides what it sells, whether or not this store stocks it.
        if body.store == edge.store_id:
            raise HTTPException(status_code=422, detail="This store has it: reserve it here instead.")
        link = getattr(request.app.state, "sync_link", None)
        if link is None or not link.status().online:
            raise HTTPException(
                status_code=409, detail=NO_CLOUD, headers={"X-Vitrine-Reason": "no_cloud_link"}
            )
        params = {
            "kind": "click_collect",
            "store": body.store,
            "customer_id": body.customer_id,
            "lines": [{"sku": body.sku, "qty": body.qty}],
            "channel": "kiosk",
            "requested_at_store": edge.store_id,
        }
        try:
            result = link.rpc.call("orders.place", params, timeout=RPC_TIMEOUT_S)
        except RpcTimeout as err:
            raise HTTPException(
                status_code=409, detail=NO_CLOUD, headers={"X-Vitrine-Reason": "no_cloud_link"}
            ) from err
        except RpcError as err:
            raise refused(err) from err
        order_id = str(result["order_id"])
        keyring = keyring_of(request)
        qr_text = order_id
        if keyring is not None:
            qr_text = issue_pickup_token(
                keyring, order_id, body.store, issued_at=int(time.time()), ttl_s=PICKUP_TOKEN_TTL_S
            )
        return PickupOrderView(
            order_id=order_id,
            store=body.store,
            state=str(result.get("state", "placed")),
            qty=body.qty,
            pickup_code=order_id,
            pickup_qr_svg=qr_svg(qr_text, title=f"Pickup {order_id}"),
        )

    @router.get("/ui/link", response_model=LinkView, dependencies=[Depends(require(Role.STAFF))])
    def link_state(request: Request) -> LinkView:
        """Whether the cloud link is up now (the sale screen says which redemption rule applies)."""
        link = getattr(request.app.state, "sync_link", None)
        if link is None:
            return LinkView(online=False, configured=False)
        return LinkView(online=bool(link.status().online), configured=True)

    @router.get(
        "/ui/receipts/{receipt_id}/qr.svg",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}, 404: {"description": "unknown receipt"}},
        dependencies=[Depends(require(Role.STAFF))],
    )
    def receipt_qr(receipt_id: str, node: Node) -> Response:
        """The receipt's number as a QR code (SVG), for the customer to keep or for a return."""
        receipt = node.selling.receipt(receipt_id)
        return Response(
            qr_svg(receipt.receipt_id, title=f"Receipt {receipt.receipt_id}"), media_type="image/svg+xml"
        )

    @router.post(
        "/ui/kiosk/card.svg",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}}, 404: {"description": "unknown customer"}},
    )
    def card_qr(body: CardRequest, request: Request, node: Node, presence: CallerPresence) -> Response:
        """The customer's loyalty card as a QR code (SVG): a signed ``VTL1`` token when the device hub
        has a keyring (so any store scanner recognises it), else the plain card number. A kiosk needs
        the customer's loyalty card (``X-Vitrine-Card``, e.g. the token returned at enrolment)."""
        presence.check_customer(node, body.customer_id)
        customer = node.customers.get(body.customer_id)
        if not customer.card:
            raise HTTPException(status_code=409, detail="This customer has no loyalty card yet.")
        text = card_token_for(keyring_of(request), customer.card) or customer.card
        return Response(qr_svg(text, title=f"Loyalty card {customer.card}"), media_type="image/svg+xml")

    return router


def refused(err: RpcError) -> HTTPException:
    """The hub's refusal as the kiosk shows it: its message (which says what to do) and a reason code
    the page translates (``X-Vitrine-Reason``)."""
    status, reason = ORDER_REFUSALS.get(err.code or "", (409, "order_refused"))
    return HTTPException(
        status_code=status,
        detail=f"The order was refused by head office: {err.reason}",
        headers={"X-Vitrine-Reason": reason},
    )


def mount_web_ui(app: FastAPI, edge: EdgeSettings, web: WebSettings | None = None) -> None:
    """Add the UI pages, the UI endpoints and ``/static`` to ``app``."""
    settings = web if web is not None else load_web_settings()
    app.include_router(build_web_router(edge, settings))
    app.mount("/static", RevalidatedStaticFiles(directory=str(STATIC_DIR)), name="static")
