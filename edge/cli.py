"""``vitrine-edge``: serve, seed, migrate and check one store's edge node."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from edge.errors import EdgeError
from edge.replica.database import Replica
from edge.replica.integrity import check
from edge.replica.migrations import LATEST_VERSION
from edge.seed import DEFAULT_CSV, last_date, seed

REPO = Path(__file__).resolve().parents[1]

app = typer.Typer(
    name="vitrine-edge", help="Vitrine edge store node.", no_args_is_help=True, add_completion=False
)

DbOption = Annotated[Path, typer.Option("--db", envvar="VITRINE_EDGE_DB_PATH", help="replica file")]
StoreOption = Annotated[
    str, typer.Option("--store-id", envvar="VITRINE_EDGE_STORE_ID", help="this store's id")
]


def _fail(err: Exception) -> typer.Exit:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
) -> None:
    """Serve the store API (settings from VITRINE_EDGE_* environment variables)."""
    import uvicorn

    from edge.api.app import create_app
    from edge.settings import load_settings

    try:
        settings = load_settings()
        application = create_app(settings)
    except EdgeError as err:
        raise _fail(err) from err
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="info")


@app.command("kiosk-token")
def kiosk_token(
    session: Annotated[str, typer.Argument(help="the kiosk's device session, e.g. kiosk-1")],
) -> None:
    """Print the token to install on the kiosk of SESSION: it reaches that device session only
    (derived from VITRINE_EDGE_KIOSK_TOKEN; rotating that token revokes every kiosk's)."""
    from edge.api.auth import kiosk_device_token
    from edge.settings import load_settings

    try:
        token = kiosk_device_token(load_settings().kiosk_token.get_secret_value(), session)
    except (EdgeError, ValueError) as err:
        raise _fail(err) from err
    typer.echo(token)


@app.command("seed")
def seed_command(
    db: DbOption = Path("var/edge/store-1.db"),
    store_id: StoreOption = "store-1",
    path: Annotated[Path, typer.Option("--path", help="Online Retail CSV (.csv or .csv.gz)")] = REPO
    / DEFAULT_CSV,
    months: Annotated[
        int | None, typer.Option(min=1, max=120, help="only the last N months of the file")
    ] = None,
    zone: Annotated[str, typer.Option(help="zone of the opening stock counts")] = "floor",
) -> None:
    """Import catalog, prices, customers and past baskets from the retail CSV. Safe to re-run."""
    if not path.is_file():
        raise _fail(FileNotFoundError(f"no such file: {path} (give --path)"))
    try:
        since = last_date(path) - timedelta(days=30 * months) if months else None
        replica = Replica.open(db, store_id)
    except (EdgeError, OSError) as err:
        raise _fail(err) from err
    bar = tqdm(desc="seed", unit="row", leave=False)
    phases: list[str] = []

    def progress(phase: str, done: int, total: int) -> None:
        if not phases or phases[-1] != phase:
            phases.append(phase)
            bar.reset(total=total or None)
            bar.set_description(f"seed: {phase}")
        bar.n = done
        bar.refresh()

    try:
        report = seed(replica, path, since=since, progress=progress, zone=zone)
    except EdgeError as err:
        raise _fail(err) from err
    finally:
        bar.close()
        replica.close()
    window = f" since {since:%Y-%m-%d}" if since else ""
    typer.echo(
        f"seeded {db}{window}: {report.products} products, {report.customers} customers, {report.sales} sales, "
        f"{report.returns} returns, {report.stock_counts} opening counts, {report.loyalty_entries} opening "
        f"balances ({report.ops_written} ops) from {report.rows_used}/{report.rows_read} rows"
    )


@app.command()
def migrate(db: DbOption = Path("var/edge/store-1.db"), store_id: StoreOption = "store-1") -> None:
    """Create or upgrade the replica schema."""
    try:
        replica = Replica.open(db, store_id, migrate=False)
        before = replica.schema_version()
        applied = replica.migrate()
        replica.close()
    except EdgeError as err:
        raise _fail(err) from err
    typer.echo(f"{db}: schema v{before} -> v{LATEST_VERSION} (applied {applied or 'nothing'})")


@app.command("integrity-check")
def integrity_check(db: DbOption = Path("var/edge/store-1.db"), store_id: StoreOption = "store-1") -> None:
    """Check the replica's invariants (outbox contiguous, every sale whole with its ops, folds)."""
    if not db.is_file():
        raise _fail(FileNotFoundError(f"no such replica: {db}"))
    try:
        replica = Replica.open(db, store_id, migrate=False)
        report = check(replica.reader(), store_id)
        replica.close()
    except EdgeError as err:
        raise _fail(err) from err
    for key, value in report.counts.items():
        typer.echo(f"{key}: {value}")
    for problem in report.problems:
        typer.secho(f"PROBLEM: {problem}", fg=typer.colors.RED)
    typer.echo(f"{'OK' if report.ok else 'FAILED'} at {datetime.now():%Y-%m-%d %H:%M:%S}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("export-ops")
def export_ops(
    db: DbOption = Path("var/edge/store-1.db"),
    store_id: StoreOption = "store-1",
    after: Annotated[int, typer.Option(min=0, help="only ops with a greater seq")] = 0,
) -> None:
    """Print this store's outbox ops as JSON lines (seq order) and the acked seq on stderr (fleet verdict)."""
    import json

    from edge.replica.outbox import ReplicaOutbox

    if not db.is_file():
        raise _fail(FileNotFoundError(f"no such replica: {db}"))
    try:
        replica = Replica.open(db, store_id, migrate=False)
        outbox = ReplicaOutbox(replica)
        ops, acked = outbox.read_after(after, 1 << 62), outbox.acked_seq()
        replica.close()
    except EdgeError as err:
        raise _fail(err) from err
    typer.echo("".join(json.dumps(op.to_dict(), separators=(",", ":")) + "\n" for op in ops), nl=False)
    typer.echo(f"acked_seq={acked}", err=True)


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="new backup file (must not exist)")],
    db: DbOption = Path("var/edge/store-1.db"),
    store_id: StoreOption = "store-1",
) -> None:
    """Online, consistent snapshot of the replica while the store keeps selling; verified before kept."""
    from edge.replica.backup import backup

    try:
        result = backup(db, dest, store_id)
    except EdgeError as err:
        raise _fail(err) from err
    typer.echo(
        f"{result.path}: {result.bytes} bytes, outbox last seq {result.last_seq} "
        f"(acked by the cloud up to {result.acked_seq}), integrity OK"
    )


@app.command("restore-from-cloud")
def restore_from_cloud_command(
    db: DbOption = Path("var/edge/store-1.db"),
    store_id: StoreOption = "store-1",
    timeout: Annotated[float, typer.Option(help="seconds to wait for each answer of the hub")] = 20.0,
) -> None:
    """Catch up with the hub after this replica went back in time (older backup, emptied file).

    Stop the edge first. Uses the sync link's settings (VITRINE_EDGE_MQTT_*): the hub's copy of
    this store's ops is written back, sales made since the restore are kept and sent next.
    """
    from edge.cloud_history import fetch_history
    from edge.replica.recovery import restore_from_cloud
    from edge.settings import load_settings

    try:
        settings = load_settings(db_path=db, store_id=store_id)
        replica = Replica.open(db, store_id)
    except EdgeError as err:
        raise _fail(err) from err
    bar = tqdm(desc="ops from the hub", unit=" ops")
    try:
        with fetch_history(settings, timeout) as fetch:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            report = restore_from_cloud(replica, fetch, progress)
    except EdgeError as err:
        raise _fail(err) from err
    finally:
        bar.close()
        replica.close()
    typer.echo(
        f"restored from the cloud: {report.recovered} op(s) written back from the hub (its mark {report.hub_mark}), "
        f"{report.moved} op(s) made here since the backup kept and queued after it. The edge may be started."
    )


@app.command("restore")
def restore_command(
    backup_file: Annotated[Path, typer.Argument(help="backup written by `vitrine-edge backup`")],
    db: DbOption = Path("var/edge/store-1.db"),
    store_id: StoreOption = "store-1",
    force: Annotated[
        bool, typer.Option("--force", help="replace an existing replica (edge stopped)")
    ] = False,
) -> None:
    """Verify a backup and put it in place of the replica (stop the edge first)."""
    from edge.replica.backup import restore

    try:
        result = restore(backup_file, db, store_id, force=force)
    except EdgeError as err:
        raise _fail(err) from err
    typer.echo(
        f"restored {result.path} (outbox last seq {result.last_seq}). Before starting the edge, check "
        "that the hub's high-water mark for this store is not above it (docs/operations.md)."
    )


if __name__ == "__main__":
    app()
