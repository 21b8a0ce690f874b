"""Schemathesis over the hub's OpenAPI: no request may produce a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cloud.api import create_app
from cloud.localpg import LocalPostgres
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from tests.cloud.helpers import ADMIN, seed, serve

schema = schemathesis.openapi.from_dict(
    create_app(
        CloudSettings(
            database_url="sqlite://",  # in memory: building the schema connects nothing
            admin_token="admin-secret-0123456789",
            shop_token="shop-secret-0123456789",
        )
    ).openapi()  # type: ignore[arg-type]
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'cloud.db'}"
    else:
        pg: LocalPostgres = request.getfixturevalue("postgres")
        url = pg.create_database("cloud_fuzz")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    app = create_app(
        CloudSettings(
            database_url=url, admin_token="admin-secret-0123456789", shop_token="shop-secret-0123456789"
        )
    )  # type: ignore[arg-type]
    with serve(app) as client:
        seed(client)
        yield str(client.base_url)
    app.state.hub.engine.dispose()


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, headers=ADMIN, checks=[schemathesis.checks.not_a_server_error])
