"""Cloud test fixtures: every storage/service/report test runs on SQLite AND PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import Engine

from cloud.api import create_app
from cloud.localpg import LocalPostgres
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from tests.cloud.helpers import serve

TEMPLATE_DB = "vitrine_cloud_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_template(postgres: LocalPostgres) -> str:
    """A migrated database that each test clones (CREATE DATABASE ... TEMPLATE is fast)."""
    url = postgres.create_database(TEMPLATE_DB)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return TEMPLATE_DB


def _clone(postgres: LocalPostgres, template: str) -> str:
    name = f"cloud_t{next(_counter)}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return postgres.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database URL of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cloud.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        return url
    postgres: LocalPostgres = request.getfixturevalue("postgres")
    template: str = request.getfixturevalue("pg_template")
    return _clone(postgres, template)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> CloudSettings:
    return CloudSettings(
        database_url=db_url,
        model_signing_key=tmp_path / "model-signing.pem",
        admin_token="admin-secret-0123456789",  # type: ignore[arg-type]
        shop_token="shop-secret-0123456789",  # type: ignore[arg-type]
    )


@pytest.fixture
def client(settings: CloudSettings) -> Iterator[httpx.Client]:
    """The hub's API on a real uvicorn over a fresh database of each backend."""
    app = create_app(settings)
    with serve(app) as c:
        yield c
    app.state.hub.engine.dispose()
