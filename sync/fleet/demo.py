"""``make demo`` / ``vitrine-sim demo``: Mosquitto, the cloud hub and three stores, with shoppers.

The production path: the hub imports head office's data (the Online Retail CSV through its adapter,
customers and histories shared out among the stores), provisions each store with a provisioning
bundle, and each store's edge starts from its bundle and bootstraps its replica from the hub.
``--seeded`` runs the developer path instead (each replica seeded from the CSV on its own disk).

Everything lives under ``var/demo/`` (SQLite files, broker credentials, bundles, secrets, logs) and
is kept, so a second run skips importing and provisioning. The stores run simulated RFID readers and scanners
from ``firmware-config/``; simulated shoppers buy in the stores (staff API), some with a loyalty card
and points, some return items, and some order click & collect online (the hub's shop API), which
the stores' staff hand over. Prints every URL and how to sign in; Ctrl-C (or SIGTERM) stops every
process it started and checks that none is left running.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from sync.fleet.cluster import Fleet, FleetConfig, Store, StoreSpec
from sync.fleet.errors import FleetError
from sync.fleet.scenario import DEFAULT_CSV, Shoppers
from sync.fleet.shoppers import StoreShoppers

REPO = Path(__file__).resolve().parents[2]
PIN_ITERATIONS = 200_000  # edge/web/pins.py format: pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _port_or_free(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return 0
    return preferred


def _pin_entry(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def demo_people(fleet: Fleet, store_ids: list[str]) -> dict[str, str]:
    """Staff and manager PINs (one pair for the demo) and the loyalty-card signing key, kept in secrets."""
    people = fleet.secrets.setdefault("demo", {})
    if "staff_pin" not in people:
        people.update(staff_pin=f"{secrets.randbelow(10**6):06d}", manager_pin=f"{secrets.randbelow(10**6):06d}",
                      token_key=secrets.token_urlsafe(32))  # fmt: skip
        pins = {"alice": {"role": "staff", "pin_hash": _pin_entry(people["staff_pin"])},
                "maud": {"role": "manager", "pin_hash": _pin_entry(people["manager_pin"])}}  # fmt: skip
        people["pins_json"] = json.dumps(pins)
    env = {
        "VITRINE_WEB_STAFF_PINS": people["pins_json"],
        "VITRINE_WEB_KIOSK_LANGUAGE": "en",
        "VITRINE_DEVICES_TOKEN_KEYS": json.dumps({"demo": people["token_key"]}),
        "VITRINE_DEVICES_CAMERA_FPS": "2",
    }
    fleet.secrets["store_env"] = {sid: env for sid in store_ids}
    fleet.save_secrets()
    return dict(people)


def _kiosk_device_token(store: Store) -> str:
    """The device token of kiosk-1, issued by the store's manager (it reaches that kiosk's session only)."""
    r = store.client.post("/api/v1/devices/sessions/kiosk-1/kiosk-token", headers=store.headers("manager"))
    if r.status_code != 200:
        raise FleetError(f"{store.store_id}: no kiosk device token: {r.status_code} {r.text[:200]}")
    return str(r.json()["token"])


def _banner(fleet: Fleet, people: dict[str, str]) -> str:
    lines = ["", "Vitrine demo running", "", f"head office console   {fleet.hub_url}/console"]
    for name, user in fleet.secrets.get("console", {}).items():
        lines.append(f"  sign in  {name} / {user['password']}   ({user['role']})")
    lines.append(f"hub (cloud) API docs  {fleet.hub_url}/docs")
    lines.append(f"  admin token  {fleet.secrets['admin_token']}")
    lines.append(f"  shop token   {fleet.secrets['shop_token']}")
    for store in fleet.stores.values():
        lines += [
            "",
            f"{store.store_id}  ({store.url}, API docs {store.url}/docs)",
            f"  kiosk     {store.url}/kiosk      set-up: kiosk id kiosk-1, token {_kiosk_device_token(store)}",
            f"  handheld  {store.url}/handheld   sign in with staff PIN {people['staff_pin']} (alice)",
            f"  manager   {store.url}/manager    sign in with manager PIN {people['manager_pin']} (maud)",
        ]
    lines += [
        "",
        f"e-mails and SMS the hub sends (order ready, receipts), every minute: {fleet.notices['mail']}, "
        f"{fleet.notices['sms']}",
        f"secrets, logs and databases in {fleet.root}",
        "Ctrl-C to stop everything.",
        "",
    ]
    return "\n".join(lines)


def stop_demo(fleet: Fleet, shoppers: Sequence[StoreShoppers]) -> bool:
    """Stop the shoppers, then every process of ``fleet``; False (said on stderr) if any is left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
    for shop in shoppers:
        shop.stop()
    pids = [p for p in fleet.pids() if p]
    fleet.stop()
    alive = left_running(pids)
    if alive:
        sys.stderr.write(f"still running after stop: {alive}\n")
        return False
    _say(f"stopped: {len(pids)} processes, none left running")
    return True


def left_running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        alive.append(pid)
    return alive


class _Stop(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vitrine-sim demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--root", type=Path, default=Path("var") / "demo")
    parser.add_argument("--csv", type=Path, default=REPO / DEFAULT_CSV, help="Online Retail CSV")
    parser.add_argument("--stores", type=int, default=3, help="how many stores (1..6)")
    parser.add_argument("--shoppers-per-minute", type=float, default=6.0, help="per store")
    parser.add_argument("--no-devices", action="store_true", help="no simulated readers/scanners")
    parser.add_argument(
        "--seeded", action="store_true", help="developer path: seed each replica from the CSV (no bootstrap)"
    )
    parser.add_argument(
        "--duration", type=float, default=0.0, help="stop by itself after S seconds (0: never)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.stores <= 6:
        parser.error("--stores must be 1..6")
    stores = [
        StoreSpec(f"store-{n}", months=1, port=_port_or_free(8080 + n)) for n in range(1, args.stores + 1)
    ]
    fleet = Fleet(
        FleetConfig(root=args.root, repo=REPO, csv=args.csv, stores=stores, workers=2,
                    devices=not args.no_devices, hub_port=_port_or_free(8090), skus=40, customers=60,
                    bootstrap=not args.seeded, train_model=not args.seeded),
        _say,
    )  # fmt: skip

    def _signal(_sig: int, _frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    shoppers: list[StoreShoppers] = []
    code = 0
    try:
        fleet.root.mkdir(parents=True, exist_ok=True)
        fleet.load_secrets()
        people = demo_people(fleet, [s.store_id for s in stores])
        fleet.start_processes()
        _say(_banner(fleet, people))
        _say(
            "first sync of the seeded stores, then shoppers start (progress below)..."
            if args.seeded
            else "stores selling; their customers and histories keep coming from the hub, then shoppers start..."
        )
        fleet.prepare()
        if not args.seeded:
            fleet.train_and_release()  # the kiosks' "goes well with" comes from the model, not popularity
        assert fleet.retail is not None
        conf = Shoppers(per_minute=args.shoppers_per_minute, online_share=0.2, loyalty_share=0.6,
                        return_share=0.08, redeem_share=0.3)  # fmt: skip
        customers = fleet.retail.customers
        for n, store in enumerate(fleet.stores.values()):
            shop = StoreShoppers(
                fleet, store, conf, seed=int(time.time()), customers=customers, skus=fleet.retail.skus
            )
            shop.lease_allowances(customers[n * 5 : n * 5 + 5], 100)
            shop.start()
            shoppers.append(shop)
        _say(
            f"shoppers started ({args.shoppers_per_minute:g} per minute per store, 20% online click & collect)"
        )
        deadline = time.monotonic() + args.duration if args.duration else None
        last_report = last_notices = time.monotonic()
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
            fleet.check_alive()
            if time.monotonic() - last_notices >= 60:
                last_notices = time.monotonic()
                try:
                    fleet.deliver_notices()
                except FleetError as err:  # the demo keeps selling; the next minute tries again
                    _say(f"notices not delivered this minute: {err}")
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                _say("activity: " + "; ".join(
                    f"{s.store.store_id} {s.activity.counts['sales']} sales, {s.activity.counts['online_orders']} "
                    f"online, {s.activity.counts['pickups']} pickups" for s in shoppers))  # fmt: skip
    except _Stop:
        _say("\nstopping...")
    except FleetError as err:
        sys.stderr.write(f"error: {err}\n")
        code = 2
    finally:
        if not stop_demo(fleet, shoppers):
            code = code or 1
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return code


if __name__ == "__main__":
    sys.exit(main())
