"""``vitrine-cloud model``: the models the hub keeps, canary releases, promotion, rollback.

vitrine-cloud model list                          # versions, metrics, which stores run each
vitrine-cloud model history                       # every release, canary, promotion, rollback
vitrine-cloud model release MODEL --stores a,b    # a canary of a kept model (no --stores: all)
vitrine-cloud model promote MODEL                 # that same artifact to every other store
vitrine-cloud model rollback --stores a           # each store back to its previous model
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from cloud.console.audit import audit
from cloud.console.cli import CLI_USER
from cloud.errors import CloudError

app = typer.Typer(help="Model versions, canary, promotion and rollback", no_args_is_help=True)
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: VITRINE_CLOUD_DATABASE_URL)")]


def _with_hub(db: str | None, work: Callable[[Any], object]) -> None:
    from cloud.hub import Hub
    from cloud.settings import CloudSettings

    try:
        hub = Hub.from_settings(CloudSettings(**({"database_url": db} if db else {})))  # type: ignore[arg-type]
    except ValidationError as err:
        typer.echo(f"invalid settings: {err}", err=True)
        raise typer.Exit(2) from err
    try:
        with hub.tx() as conn:
            result = work((hub, conn))
    except CloudError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    finally:
        hub.close()
    typer.echo(json.dumps(result, indent=1, sort_keys=True))


def _stores(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


@app.command("list")
def list_models(db: DbOpt = None) -> None:
    """The models kept at the hub, newest first, with metrics and the stores each was last released to."""
    from cloud.rollout import service

    _with_hub(db, lambda hc: service.versions(hc[1]))


@app.command()
def history(db: DbOpt = None) -> None:
    """The release history (oldest first)."""
    from cloud.rollout import service

    _with_hub(db, lambda hc: service.history(hc[1]))


@app.command()
def release(
    model_id: str,
    db: DbOpt = None,
    stores: Annotated[
        str | None, typer.Option(help="comma-separated store ids (a canary); default all")
    ] = None,
) -> None:
    """Release a kept model to some stores (a canary) or to every active store."""
    from cloud.rollout import artifacts, service

    def work(hc: Any) -> object:
        hub, conn = hc
        released = service.release(conn, hub.clock, artifacts.load(conn, model_id), _stores(stores))
        audit(conn, CLI_USER, "model.release", {"model_id": model_id, "stores": released})
        return {"released_to": released}

    _with_hub(db, work)


@app.command()
def promote(model_id: str, db: DbOpt = None) -> None:
    """Release the artifact a canary ran to every active store not yet on it."""
    from cloud.rollout import service

    def work(hc: Any) -> object:
        hub, conn = hc
        promoted = service.promote(conn, hub.clock, model_id)
        audit(conn, CLI_USER, "model.promote", {"model_id": model_id, "stores": promoted})
        return {"promoted_to": promoted}

    _with_hub(db, work)


@app.command()
def rollback(
    stores: Annotated[str, typer.Option(help="comma-separated store ids to roll back")],
    db: DbOpt = None,
) -> None:
    """Give each store the model released to it before its current one."""
    from cloud.rollout import service

    def work(hc: Any) -> object:
        hub, conn = hc
        back = service.rollback(conn, hub.clock, _stores(stores) or [])
        audit(conn, CLI_USER, "model.rollback", {"stores": back})
        return {"rolled_back": back}

    _with_hub(db, work)
