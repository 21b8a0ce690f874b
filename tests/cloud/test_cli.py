"""The vitrine-cloud CLI on a real database file (and PostgreSQL for migrate)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cloud.cli import app

runner = CliRunner()


def test_migrate_provision_report_and_jobs(db_url: str) -> None:
    r = runner.invoke(app, ["migrate", "--db", db_url])
    assert r.exit_code == 0 and "up to date" in r.output
    r = runner.invoke(app, ["provision-store", "s9", "--name", "Store nine", "--db", db_url])
    assert r.exit_code == 0, r.output
    bundle = json.loads(r.output)
    assert bundle["store_id"] == "s9" and bundle["broker"]["username"] == "s9"
    r = runner.invoke(app, ["provision-store", "s9", "--db", db_url])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(
        app,
        [
            "report",
            "revenue_by_channel",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-31",
            "--format",
            "csv",
            "--db",
            db_url,
        ],
    )
    assert r.exit_code == 0
    r = runner.invoke(app, ["report", "nope", "--start", "2026-01-01", "--end", "2026-01-31", "--db", db_url])
    assert r.exit_code == 1 and "unknown report" in r.output
    r = runner.invoke(app, ["expire-points", "--db", db_url])
    assert r.exit_code == 0 and json.loads(r.output)["points"] == 0
    r = runner.invoke(app, ["run-triggers", "--db", db_url, "--no-deliver"])
    assert r.exit_code == 0 and "queued" in r.output


def test_bad_settings_exit_cleanly() -> None:
    r = runner.invoke(app, ["migrate", "--db", "mysql://nope"])
    assert r.exit_code == 2 and "invalid settings" in r.output
