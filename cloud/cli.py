"""``vitrine-cloud``: run and operate the hub.

Settings come from ``VITRINE_CLOUD_*`` (see :class:`cloud.settings.CloudSettings`); ``--db``
overrides the database URL. The ``train`` sub-command is provided by the recommendations package
when present (``cloud/train/cli.py`` exposing ``app: typer.Typer``).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from pydantic import ValidationError

from cloud.console import cli as console_cli
from cloud.errors import CloudError, InvalidInput
from cloud.rollout.cli import app as model_app
from cloud.settings import CloudSettings, require_api_tokens

app = typer.Typer(help="Vitrine cloud hub", no_args_is_help=True, add_completion=False)
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: VITRINE_CLOUD_DATABASE_URL)")]


def _settings(db: str | None = None) -> CloudSettings:
    try:
        return CloudSettings(**({"database_url": db} if db else {}))  # type: ignore[arg-type]
    except ValidationError as err:
        typer.echo(f"invalid settings: {err}", err=True)
        raise typer.Exit(2) from err


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(1)


@app.command()
def migrate(db: DbOpt = None) -> None:
    """Create or upgrade the schema (idempotent)."""
    from cloud.storage import make_engine
    from cloud.storage import migrate as run_migrations

    settings = _settings(db)
    engine = make_engine(settings.database_url)
    try:
        done = run_migrations(engine)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        engine.dispose()
    typer.echo(f"applied migrations: {done or 'none (up to date)'}")


@app.command()
def serve(db: DbOpt = None, host: str | None = None, port: int | None = None) -> None:
    """Run the HTTP API (admin, web shop, stores) with uvicorn."""
    import uvicorn

    from cloud.api import create_app
    from cloud.hub import Hub
    from cloud.storage import migrate as run_migrations

    settings = _settings(db)
    try:
        require_api_tokens(settings)  # create_app checks again; failing here exits before migrating
    except CloudError as err:
        raise _fail(err) from err
    hub = Hub.from_settings(settings)
    try:
        run_migrations(hub.engine)  # idempotent; a fresh database is usable at once
        uvicorn.run(create_app(settings, hub), host=host or settings.api_host, port=port or settings.api_port)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()


@app.command()
def worker(
    db: DbOpt = None,
    downlink: Annotated[
        bool, typer.Option(help="also publish the stores' downlinks (run on one worker)")
    ] = False,
    client_id: Annotated[str | None, typer.Option(help="MQTT client id (default hub-<worker_id>)")] = None,
) -> None:
    """Run one ingest worker on the shared subscription, serving loyalty RPC too."""
    from cloud.ingest.hub import start_hub
    from cloud.rpc import hub_handlers
    from cloud.storage import make_engine
    from cloud.storage import migrate as run_migrations
    from sync.errors import SyncError
    from sync.hlc import HybridClock
    from sync.transport import MqttConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = _settings(db)
    cid = client_id or f"hub-{settings.worker_id}"
    try:
        engine = make_engine(settings.database_url, settings.pool_size)
        run_migrations(engine)
        hub = start_hub(
            engine,
            MqttConfig(
                host=settings.broker_host,
                port=settings.broker_port,
                client_id=cid,
                username=settings.broker_username,
                password=settings.broker_password.get_secret_value() or None,
                tls_ca=Path(settings.broker_tls_ca) if settings.broker_tls_ca else None,
            ),
            downlink=downlink,
            summary_interval_s=settings.summary_interval_s,
            rpc_handlers=hub_handlers(
                engine,
                HybridClock(f"{settings.node_id}-{settings.worker_id}"),
                settings.allowance_ttl_hours,
                settings.warehouse_store,
                settings.bootstrap_customers,
            ),
        )
    except (CloudError, SyncError) as err:
        raise _fail(err) from err
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"worker {cid} running (downlink={'on' if downlink else 'off'})")
    stop.wait()
    hub.stop()
    engine.dispose()


@app.command("provision-store")
def provision_store(
    store_id: str,
    name: Annotated[str, typer.Option()] = "",
    db: DbOpt = None,
    bundle_file: Annotated[
        Path | None,
        typer.Option("--bundle", help="write the provisioning bundle here (mode 0600; must not exist)"),
    ] = None,
    bootstrap: Annotated[
        bool, typer.Option(help="the edge bootstraps from the hub (else: checkpoints on its downlink)")
    ] = True,
) -> None:
    """Provision a store; prints its credentials as JSON (once) and writes its provisioning bundle.

    Start the store with `vitrine-edge serve --bundle FILE`: it fills its replica from the hub."""
    from cloud.admin import stores
    from cloud.hub import Hub

    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            if bundle_file is not None and bundle_file.exists():
                raise InvalidInput(f"{bundle_file} exists: give a new file for the bundle")
            bundle = stores.provision(
                conn, hub.clock, hub.settings, store_id, name or store_id, bootstrap=bootstrap
            )
            if bundle_file is not None and "bundle" in bundle:
                bundle_file.parent.mkdir(parents=True, exist_ok=True)
                with os.fdopen(os.open(bundle_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                    out.write(json.dumps(bundle["bundle"], indent=2) + "\n")
    except CloudError as err:
        raise _fail(err) from err
    except OSError as err:
        raise _fail(CloudError(f"writing the bundle: {err}")) from err
    finally:
        hub.close()
    typer.echo(json.dumps(bundle, indent=2))
    if bundle_file is not None:
        typer.echo(
            f"bundle written to {bundle_file}: start the store with `vitrine-edge serve --bundle {bundle_file}`",
            err=True,
        )


@app.command("import")
def import_data(
    source: Annotated[Path, typer.Argument(help="directory in the neutral format, or the --from file")],
    *,
    db: DbOpt = None,
    from_format: Annotated[
        str | None, typer.Option("--from", help="convert SOURCE from this layout first: online-retail")
    ] = None,
    stores: Annotated[str, typer.Option(help="--from: comma-separated store ids of the fleet")] = "",
    months: Annotated[int | None, typer.Option(help="--from: keep the file's last N months")] = None,
    max_products: Annotated[int | None, typer.Option(help="--from: keep the N best sellers")] = None,
    out: Annotated[
        Path | None, typer.Option(help="--from: directory for the converted files (var/import/<layout>)")
    ] = None,
    report_dir: Annotated[
        Path | None, typer.Option(help="where the report and rejects go (default: the import directory)")
    ] = None,
    progress: Annotated[bool, typer.Option(help="progress bars on stderr")] = True,
) -> None:
    """Import head office's data (docs/import.md): every row imported, unchanged or rejected with
    its reason; counts per reason printed, rejects written next to the report. Re-running changes
    nothing. Exit 1 only when the input is unusable (no such directory, wrong columns)."""
    from cloud.hub import Hub
    from cloud.importing import run_import
    from cloud.importing.progress import Bars
    from cloud.storage import migrate as run_migrations

    bars = Bars(disable=not progress)
    directory = source
    try:
        if from_format is not None:
            directory = _convert(
                layout=from_format,
                source=source,
                stores=stores,
                months=months,
                max_products=max_products,
                out=out,
                bars=bars,
            )
        hub = Hub.from_settings(_settings(db))
        try:
            run_migrations(hub.engine)  # idempotent; a fresh database is usable at once
            report = run_import(hub, directory, progress=bars, report_dir=report_dir)
        finally:
            bars.close()
            hub.close()
    except CloudError as err:
        raise _fail(err) from err
    for line in report.lines():
        typer.echo(line)


def _convert(
    *,
    layout: str,
    source: Path,
    stores: str,
    months: int | None,
    max_products: int | None,
    out: Path | None,
    bars: Callable[[str, int, int], None],
) -> Path:
    from cloud.importing import online_retail
    from cloud.importing.errors import UnusableInput

    if layout != "online-retail":
        raise UnusableInput(f"unknown layout {layout!r} for --from (known: online-retail)")
    target = out or Path("var") / "import" / layout
    report = online_retail.convert(
        source,
        target,
        [s.strip() for s in stores.split(",") if s.strip()],
        months=months,
        max_products=max_products,
        progress=bars,
    )
    for line in report.lines():
        typer.echo(line)
    return target


@app.command("expire-points")
def expire_points(db: DbOpt = None) -> None:
    """Expire loyalty points older than the rules allow and release expired allowances."""
    from cloud.hub import Hub
    from cloud.loyalty import authority

    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            released = authority.release_expired(conn)
            result = authority.expire_points(conn, hub.clock)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()
    typer.echo(json.dumps({**result, "leases_released": released}))


@app.command("run-triggers")
def run_triggers(
    *,
    db: DbOpt = None,
    not_seen_days: int = 90,
    unused_days: int = 90,
    expiring_within_days: int = 30,
    follow_up_days: int = 3,
    deliver: Annotated[bool, typer.Option(help="deliver the outbox with the configured sender")] = True,
) -> None:
    """Evaluate the marketing triggers and deliver the outbox."""
    from cloud.hub import Hub
    from cloud.marketing import triggers
    from cloud.senders_factory import deliver_pending, sender_for

    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            added = triggers.run(
                conn,
                not_seen_days=not_seen_days,
                unused_days=unused_days,
                expiring_within_days=expiring_within_days,
                follow_up_days=follow_up_days,
            )
        typer.echo(f"queued: {json.dumps(added)}")
        if deliver and sender_for(hub.settings) is not None:
            typer.echo(f"delivered: {json.dumps(deliver_pending(hub.engine, hub.settings))}")
        elif deliver:
            typer.echo(
                "no sender configured (VITRINE_CLOUD_MARKETING_SENDER for e-mail, VITRINE_CLOUD_SMS_SENDER "
                "for SMS): messages stay queued"
            )
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()


@app.command("lease-allowances")
def lease_allowances(
    store: str,
    db: DbOpt = None,
    points: Annotated[int, typer.Option(min=1, help="points per lease (capped by each balance)")] = 500,
    top: Annotated[int, typer.Option(min=1, help="how many regular customers")] = 500,
) -> None:
    """Lease offline-redemption allowances to a store for its regular customers."""
    from cloud.hub import Hub
    from cloud.loyalty import authority

    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            count = authority.lease_for_regulars(
                conn,
                hub.clock,
                store=store,
                points=points,
                ttl_hours=hub.settings.allowance_ttl_hours,
                limit=top,
            )
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()
    typer.echo(json.dumps({"store": store, "leases": count}))


@app.command("push-stock-summaries")
def push_stock_summaries(
    db: DbOpt = None,
    stores: Annotated[
        str | None, typer.Option(help="comma-separated store ids of one region (default: all)")
    ] = None,
) -> None:
    """Manual override: queue FULL summaries of other stores' availability ("available at store X").
    The workers publish live changes on their own; use this after restoring an edge's replica."""
    from cloud import stock_summary
    from cloud.hub import Hub

    hub = Hub.from_settings(_settings(db))
    group = [x for x in (stores or "").split(",") if x] or None
    try:
        with hub.tx() as conn:
            queued = stock_summary.push(conn, hub.clock, group, group)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()
    typer.echo(json.dumps({"queued": queued}))


@app.command()
def report(
    name: str,
    start: Annotated[str, typer.Option(help="first day YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="last day YYYY-MM-DD")],
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    db: DbOpt = None,
) -> None:
    """Print a report (revenue_by_channel, revenue_by_store, average_basket, visit_frequency,
    loyalty_rate, return_rate, stock_accuracy)."""
    from cloud import reports
    from cloud.hub import Hub

    if fmt not in ("json", "csv"):
        raise _fail(ValueError("--format must be json or csv"))
    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            rows = reports.run(conn, name, start, end)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()
    sys.stdout.write(reports.to_csv(rows) if fmt == "csv" else json.dumps(rows, indent=2) + "\n")


@app.command("sync-state")
def sync_state(db: DbOpt = None) -> None:
    """Print, as one JSON object, per-origin stream marks and op counts, stock per (sku, store) and every
    customer's loyalty balance (read by the fleet simulator's verdict)."""
    from sqlalchemy import func, select

    from cloud.hub import Hub
    from cloud.storage import schema as s

    hub = Hub.from_settings(_settings(db))
    try:
        with hub.tx() as conn:
            ops = s.cloud_ops.c
            streams = {
                str(origin): {"ops": int(n), "min_seq": int(lo), "max_seq": int(hi)}
                for origin, n, lo, hi in conn.execute(
                    select(ops.origin, func.count(), func.min(ops.seq), func.max(ops.seq)).group_by(
                        ops.origin
                    )
                )
            }
            marks = {
                str(o): int(q) for o, q in conn.execute(select(s.stream_hwm.c.origin, s.stream_hwm.c.seq))
            }
            st = s.stock.c
            stock = [
                [str(sku), str(store), int(qty)]
                for sku, store, qty in conn.execute(
                    select(st.sku, st.store, func.sum(st.qty)).group_by(st.sku, st.store)
                )
            ]
            led = s.loyalty_ledger.c
            ledger = [
                [str(e), str(c), int(p)]
                for e, c, p in conn.execute(select(led.entry_id, led.customer_id, led.points))
            ]
            quarantined = int(conn.execute(select(func.count()).select_from(s.quarantine)).scalar() or 0)
    except CloudError as err:
        raise _fail(err) from err
    finally:
        hub.close()
    state = {"streams": streams, "marks": marks, "stock": stock, "ledger": ledger, "quarantined": quarantined}
    sys.stdout.write(json.dumps(state, separators=(",", ":")) + "\n")


def _add_train_slot() -> None:
    try:
        module = importlib.import_module("cloud.train.cli")
    except ModuleNotFoundError as err:
        if err.name not in ("cloud.train", "cloud.train.cli"):
            raise

        @app.command()
        def train() -> None:
            """Train and release the recommender (provided by the recommendations package)."""
            typer.echo("the recommendations package (cloud/train/cli.py) is not installed", err=True)
            raise typer.Exit(2)

        return
    app.add_typer(module.app, name="train")


_add_train_slot()
app.add_typer(model_app, name="model")
app.add_typer(console_cli.app, name="user")

if __name__ == "__main__":
    app()
