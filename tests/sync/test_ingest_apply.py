"""The ingest core on SQLite and PostgreSQL: idempotent, contiguous, safe under concurrent workers."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from cloud.errors import InvalidInput
from cloud.ingest.apply import StreamApplier
from cloud.localpg import LocalPostgres
from cloud.storage import schema as s
from sync.ops import Op
from sync.testing.workload import make_ops
from tests.sync.harness import cloud_engine, cloud_hwm, cloud_ops


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = cloud_engine(tmp_path / "cloud.db")
    else:
        pg: LocalPostgres = request.getfixturevalue("postgres")
        eng = cloud_engine(pg.create_database(f"ingest_{random.randrange(10**9)}"))
    try:
        yield eng
    finally:
        eng.dispose()


def test_apply_is_idempotent_and_contiguous(engine: Engine) -> None:
    ops = make_ops("s1", 1, 30)
    applier = StreamApplier(engine)
    r = applier.apply("s1", ops[10:20])  # gap: nothing applied, asks for resend
    assert (r.hwm, r.applied, r.gap) == (0, 0, True)
    assert applier.apply("s1", ops[:10]).hwm == 10
    r = applier.apply("s1", ops[:20])
    assert (r.hwm, r.applied, r.duplicates) == (20, 10, 10)
    assert applier.apply("s1", ops[:20]).applied == 0
    assert cloud_hwm(engine, "s1") == 20 and len(cloud_ops(engine, "s1")) == 20


def test_concurrent_workers_never_double_apply(engine: Engine) -> None:
    ops = make_ops("s1", 1, 2000, seed=3)
    batches = [ops[i : i + 100] for i in range(0, 2000, 100)]
    calls: list[int] = []
    lock = threading.Lock()

    def counting(_conn: Connection, applied: Sequence[Op]) -> None:
        with lock:
            calls.extend(op.seq for op in applied)

    applier = StreamApplier(engine, counting)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine = batches * 2
        rng.shuffle(mine)
        try:
            for _ in range(20):  # until everything is in, like watchdog resends
                for b in mine:
                    if applier.apply("s1", b).hwm == 2000:
                        return
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(200)
    assert not any(t.is_alive() for t in threads), "workers did not finish"
    assert not errors, errors
    # the projector may run for a batch whose transaction then lost the race and rolled back; what
    # counts is the committed state: every op exactly once
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.cloud_ops)).scalar() == 2000
    assert [o.seq for o in sorted(cloud_ops(engine, "s1"), key=lambda o: o.seq)] == list(range(1, 2001))
    assert cloud_hwm(engine, "s1") == 2000


def test_an_op_the_projections_refuse_is_kept_and_reported(engine: Engine) -> None:
    ops = make_ops("s1", 1, 10)

    def picky(_conn: Connection, applied: Sequence[Op]) -> None:
        if any(op.seq == 4 for op in applied):
            raise InvalidInput("seq 4 is bad")

    r = StreamApplier(engine, picky).apply("s1", ops)
    assert r.hwm == 10 and [op.seq for op, _ in r.rejected] == [4]
