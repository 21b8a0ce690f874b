from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from cloud.errors import StorageError
from cloud.storage import MIGRATIONS, applied_versions, make_engine, migrate
from cloud.storage import schema as s


def test_every_migration_recorded_and_rerun_is_a_no_op(engine: Engine) -> None:
    assert applied_versions(engine) == {m.version for m in MIGRATIONS}
    assert migrate(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(s.metadata.tables) <= tables


def test_indexes_exist(engine: Engine) -> None:
    found = {ix["name"] for ix in inspect(engine).get_indexes("sale_lines")}
    assert "ix_sale_lines_day" in found


def test_cloud_ops_primary_key_rejects_a_second_apply(engine: Engine) -> None:
    row = {
        "origin": "s1",
        "seq": 1,
        "hlc": "h",
        "type": "stock.delta",
        "v": 1,
        "body": "{}",
        "received_at": "t",
    }
    with engine.begin() as conn:
        conn.execute(insert(s.cloud_ops).values(**row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(s.cloud_ops).values(**row))
    with engine.connect() as conn:
        assert len(conn.execute(select(s.cloud_ops)).all()) == 1


def test_bad_url_is_a_storage_error() -> None:
    with pytest.raises(StorageError):
        make_engine("nonsense://")
