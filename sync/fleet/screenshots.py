"""``python -m sync.fleet.screenshots --out docs/screenshots``: the console's pictures from the demo.

Starts the demo fleet (``make demo``'s production path: hub import, provisioning bundles, bootstrap,
model release) headless in a temporary directory with two stores, lets simulated shoppers buy until
every store has synced some sales and an online order, delivers the hub's notices once, then signs
in to the head-office console in headless Chromium as the demo's users and saves one full-page
``hub-<page>.png`` per console page. Every process it started is stopped at the end (process groups,
bounded waits), also on Ctrl-C or SIGTERM. Progress lines on stdout; exit code 0 only when every
picture was saved and nothing was left running.

Playwright is imported only when the pictures are taken: this module is a tool, not product code.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from sync.fleet.cluster import Fleet, FleetConfig, StoreSpec
from sync.fleet.demo import REPO, demo_people, stop_demo
from sync.fleet.errors import FleetError
from sync.fleet.scenario import DEFAULT_CSV, Shoppers
from sync.fleet.shoppers import StoreShoppers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 800}
# Busier than the interactive demo (6 a minute): the pictures need sales within a minute or two.
SHOPPERS = Shoppers(per_minute=40.0, online_share=0.2, loyalty_share=0.7, return_share=0.08, redeem_share=0.3)
# The previews to choose from: (trigger, days). Not the settings the demo's run-triggers uses (90, 90,
# 30, 3): its periods are all messaged already, so those previews would show nobody.
MARKETING_PREVIEWS = (("not_seen", 120), ("points_expiring", 365), ("points_unused", 1), ("post_purchase", 1))


@dataclass(frozen=True)
class Shot:
    """One picture: ``hub-<name>.png`` of ``path`` as the demo user of ``role`` (None: signed out)."""

    name: str
    path: str
    role: str | None


@dataclass(frozen=True)
class Demo:
    """What the pictures point at, found in the running demo."""

    store: str
    customer: str
    query: str  # what to type in the customer search to find ``customer``
    report_from: str
    report_to: str
    trigger: str
    trigger_days: int


def shots(demo: Demo) -> list[Shot]:
    """Every console page worth a picture, in the order they are taken."""
    reports = urlencode({"from": demo.report_from, "to": demo.report_to})
    marketing = urlencode({"trigger": demo.trigger, "days": demo.trigger_days})
    return [
        Shot("signin", "/console/sign-in", None),
        Shot("fleet", "/console/fleet", "admin"),
        Shot("store", f"/console/stores/{quote(demo.store)}", "admin"),
        Shot("reports", f"/console/reports?{reports}", "analyst"),
        Shot("customers", f"/console/customers?{urlencode({'q': demo.query})}", "marketing"),
        Shot("customer-360", f"/console/customers/{quote(demo.customer)}", "marketing"),
        Shot("marketing", f"/console/marketing?{marketing}", "marketing"),
        Shot("catalog", "/console/catalog", "admin"),
        Shot("prices", "/console/prices", "admin"),
        Shot("stores", "/console/stores", "admin"),
        Shot("models", "/console/models", "admin"),
        Shot("audit", "/console/audit", "admin"),
    ]


def report_range(views: Iterable[dict[str, Any]], today: date) -> tuple[str, str]:
    """From the first day any of these customers bought (imported history included) to today."""
    days = [str(sale["at"])[:10] for view in views for sale in view.get("sales", [])]
    first = min(days, default=today.isoformat())
    return first, max(today.isoformat(), max(days, default=first))


def richest_customer(views: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The customer whose 360 view shows the most: channels, loyalty, online orders, purchases."""
    fields = ("channels", "ledger", "orders", "sales")
    ranked = sorted(
        views, key=lambda v: (*(len(v.get(f) or []) for f in fields), str(v["customer_id"])), reverse=True
    )
    if not ranked or not ranked[0].get("sales"):
        raise FleetError("no demo customer with a purchase at the hub: nothing to show on the customer 360")
    return ranked[0]


def search_text(view: dict[str, Any]) -> str:
    """What head office would type to find this customer: their name, else their card, else the id."""
    for key in ("name", "card", "email"):
        value = str(view.get(key) or "").strip()
        if len(value) >= 2:
            return value
    return str(view["customer_id"])


def liveliest_preview(previews: dict[tuple[str, int], dict[str, Any]]) -> tuple[str, int]:
    """The (trigger, days) whose preview has the largest audience (then the most left out by consent)."""
    if not previews:
        raise FleetError("no marketing preview answered")
    return max(previews, key=lambda t: (int(previews[t]["count"]), int(previews[t]["without_consent"]), t))


class _Stop(Exception):
    pass


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _wait_for_sales(shoppers: list[StoreShoppers], want: int, timeout: float, fleet: Fleet) -> None:
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        fleet.check_alive()
        counts = [s.activity.counts for s in shoppers]
        if all(c["sales"] >= want and c["online_orders"] >= 1 for c in counts):
            return
        if time.monotonic() - last >= 10:
            last = time.monotonic()
            _say("  activity: " + "; ".join(f"{s.store.store_id} {s.activity.counts['sales']} sales, "
                                            f"{s.activity.counts['online_orders']} online" for s in shoppers))  # fmt: skip
        time.sleep(0.5)
    raise FleetError(
        f"fewer than {want} sales per store after {timeout:.0f}s; see the logs under {fleet.root}"
    )


def _find_demo(fleet: Fleet, customers: list[str]) -> Demo:
    assert fleet.hub is not None
    views = []
    for cid in customers:
        r = fleet.hub.get(f"/admin/v1/customers/{quote(cid)}/360", headers=fleet.admin)
        if r.status_code == 200:
            views.append(r.json())
    best = richest_customer(views)
    first, last = report_range(views, datetime.now(UTC).date())
    previews = {}
    for trigger, days in MARKETING_PREVIEWS:
        r = fleet.hub.get("/admin/v1/marketing/preview", params={"trigger": trigger, "days": days},
                          headers=fleet.admin)  # fmt: skip
        if r.status_code == 200:
            previews[(trigger, days)] = r.json()
    trigger, days = liveliest_preview(previews)
    return Demo(
        store=next(iter(fleet.stores)),
        customer=str(best["customer_id"]),
        query=search_text(best),
        report_from=first,
        report_to=last,
        trigger=trigger,
        trigger_days=days,
    )


def take(hub_url: str, users: dict[str, tuple[str, str]], plan: list[Shot], out: Path,
         say: Callable[[str], None] = _say) -> list[Path]:  # fmt: skip
    """Sign in as each role's user (``users``: role -> (username, password)) and save every shot."""
    from playwright.sync_api import Route, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            contexts: dict[str | None, Any] = {}
            for shot in plan:
                if shot.role not in contexts:
                    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")  # type: ignore[arg-type]
                    context.set_default_timeout(20_000)
                    external: list[str] = []

                    def guard(route: Route, external: list[str] = external) -> None:
                        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
                            route.continue_()
                        else:  # the console loads nothing from outside: no CDN, no font service
                            external.append(route.request.url)
                            route.abort()

                    context.route("**/*", guard)
                    if shot.role is not None:
                        username, password = users[shot.role]
                        page = context.new_page()
                        page.goto(hub_url + "/console/sign-in")
                        page.get_by_label("Username").fill(username)
                        page.get_by_label("Password").fill(password)
                        with page.expect_navigation():
                            page.keyboard.press("Enter")
                        if "/sign-in" in page.url:
                            raise FleetError(f"console sign-in as {username} refused: {page.url}")
                        page.close()
                    contexts[shot.role] = (context, external)
                context, external = contexts[shot.role]
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
                response = page.goto(hub_url + shot.path)
                page.wait_for_load_state("networkidle")
                status = response.status if response is not None else 0
                if status != 200:
                    raise FleetError(f"{shot.path} answered {status} to {shot.role}")
                path = out / f"hub-{shot.name}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
                note = f" (script errors: {errors})" if errors else ""
                note += f" (blocked off-loopback requests: {external})" if external else ""
                say(f"  shot     {path.name}  {shot.path}  as {shot.role or 'nobody'}{note}")
                page.close()
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.fleet.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="where hub-<page>.png go")
    parser.add_argument("--csv", type=Path, default=REPO / DEFAULT_CSV, help="Online Retail CSV")
    parser.add_argument("--stores", type=int, default=2, help="how many stores (1..6)")
    parser.add_argument("--sales", type=int, default=10, help="sales per store before the pictures")
    parser.add_argument(
        "--root", type=Path, help="keep the fleet's files here (default: a temporary directory)"
    )
    parser.add_argument("--no-devices", action="store_true", help="no simulated readers/scanners")
    args = parser.parse_args(argv)
    if not 1 <= args.stores <= 6:
        parser.error("--stores must be 1..6")
    started = time.monotonic()
    root = args.root
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="vitrine-shots-"))
        root.chmod(0o755)  # started as root, Mosquitto drops to its own user and must reach its files below
    stores = [StoreSpec(f"store-{n}", months=1) for n in range(1, args.stores + 1)]
    fleet = Fleet(
        FleetConfig(root=root, repo=REPO, csv=args.csv, stores=stores, workers=2, devices=not args.no_devices,
                    skus=40, customers=60, bootstrap=True, train_model=True),
        _say,
    )  # fmt: skip

    def _signal(_sig: int, _frame: FrameType | None) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, _signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    shoppers: list[StoreShoppers] = []
    code = 0
    try:
        fleet.root.mkdir(parents=True, exist_ok=True)
        fleet.load_secrets()
        demo_people(fleet, [s.store_id for s in stores])
        fleet.start_processes()
        fleet.prepare()
        fleet.train_and_release()
        assert fleet.retail is not None
        customers = fleet.retail.customers
        for n, store in enumerate(fleet.stores.values()):
            shop = StoreShoppers(
                fleet, store, SHOPPERS, seed=n + 1, customers=customers, skus=fleet.retail.skus
            )
            shop.lease_allowances(customers[n * 5 : n * 5 + 5], 100)
            shop.start()
            shoppers.append(shop)
        _say(f"shoppers started ({SHOPPERS.per_minute:g} per minute per store) "
             f"{time.monotonic() - started:.0f}s after the start")  # fmt: skip
        _wait_for_sales(shoppers, args.sales, 300, fleet)
        for shop in shoppers:
            shop.stop()
        _say("  activity: " + "; ".join(f"{s.store.store_id} {dict(s.activity.counts)}" for s in shoppers))
        took = fleet.wait_converged(180, "sales to the hub")
        _say(f"  sync     every store's sales at the hub after {took:.1f}s")
        fleet.deliver_notices()  # what the demo does every minute: triggers queued, e-mails and SMS sent
        demo = _find_demo(fleet, customers)
        _say(f"  pictures of {demo}")
        users = {user["role"]: (name, user["password"]) for name, user in fleet.secrets["console"].items()}
        saved = take(fleet.hub_url, users, shots(demo), args.out)
        _say(f"{len(saved)} screenshots in {args.out} after {time.monotonic() - started:.0f}s")
    except _Stop:
        _say("\nstopping...")
        code = 130
    except (FleetError, httpx.HTTPError) as err:
        sys.stderr.write(f"error: {err}\n")
        code = 2
    finally:
        if not stop_demo(fleet, shoppers):
            code = code or 1
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


if __name__ == "__main__":
    sys.exit(main())
