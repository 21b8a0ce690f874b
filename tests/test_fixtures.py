"""The shared fixtures start real servers."""

from __future__ import annotations

import socket

import psycopg

from cloud.localpg import LocalPostgres
from sync.broker import MosquittoProcess


def test_broker_fixture_listens_and_restarts(broker: MosquittoProcess) -> None:
    socket.create_connection((broker.host, broker.port), timeout=2).close()
    broker.restart()
    socket.create_connection((broker.host, broker.port), timeout=2).close()


def test_postgres_fixture_answers(postgres: LocalPostgres) -> None:
    with psycopg.connect(postgres.dsn) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
