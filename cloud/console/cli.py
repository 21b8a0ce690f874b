"""``vitrine-cloud user ...``: console users from the hub's command line (the first admin is made here).

Passwords come from a prompt (typed twice, not echoed) or, for scripts, one line on stdin with
``--password-stdin``; never from an argument (it would show in ``ps`` and shell history).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy import Connection

from cloud.console import users
from cloud.console.audit import audit
from cloud.console.identity import ADMIN, ROLES, ConsoleUser
from cloud.errors import CloudError
from cloud.settings import CloudSettings

app = typer.Typer(help="Head-office console users (roles: admin, marketing, analyst)", no_args_is_help=True)
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: VITRINE_CLOUD_DATABASE_URL)")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="read the password from one line of stdin")]
RoleArg = Annotated[str, typer.Option("--role", help=f"one of: {', '.join(ROLES)}")]
CLI_USER = ConsoleUser("cli", ADMIN)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        typer.echo("error: the two passwords differ; run the command again", err=True)
        raise typer.Exit(1)
    return first


def _run(db: str | None, action: str, work: Callable[[Connection], Any]) -> Any:
    from cloud.hub import Hub
    from cloud.storage import migrate

    try:
        settings = CloudSettings(**({"database_url": db} if db else {}))  # type: ignore[arg-type]
    except ValidationError as err:
        typer.echo(f"invalid settings: {err}", err=True)
        raise typer.Exit(2) from err
    hub = Hub.from_settings(settings)
    try:
        migrate(hub.engine)  # the first user is made on a fresh install
        with hub.tx() as conn:
            result = work(conn)
            if action:
                audit(
                    conn,
                    CLI_USER,
                    action,
                    {k: v for k, v in result.items() if k in {"username", "role"}},
                )
            return result
    except CloudError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    finally:
        hub.close()


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2))


@app.command()
def create(username: str, role: RoleArg, password_stdin: StdinOpt = False, db: DbOpt = None) -> None:
    """Create a console user."""
    password = _password(password_stdin)
    _print(_run(db, "user.create", lambda conn: users.create(conn, username, role, password)))


@app.command("list")
def list_users(db: DbOpt = None) -> None:
    """List console users with their role and lock state."""
    _print(_run(db, "", users.list_users))


@app.command("set-role")
def set_role(username: str, role: str, db: DbOpt = None) -> None:
    """Give a user another role (applies at their next request)."""
    _print(_run(db, "user.set-role", lambda conn: users.set_role(conn, username, role)))


@app.command("reset-password")
def reset_password(username: str, password_stdin: StdinOpt = False, db: DbOpt = None) -> None:
    """Set a new password; also unlocks the account and signs it out everywhere."""
    password = _password(password_stdin)
    _print(_run(db, "user.reset-password", lambda conn: users.reset_password(conn, username, password)))


@app.command()
def unlock(username: str, db: DbOpt = None) -> None:
    """Unlock an account locked by failed sign-ins."""
    _print(_run(db, "user.unlock", lambda conn: users.unlock(conn, username)))
