"""Storage faults on a live edge (issue #14, point 6): a full disk and I/O errors are a 503 with a
clear JSON message (not a plain-text 500), ``/health`` says ``degraded`` and why, ``/metrics`` counts
the faults, and the node sells again once the disk is sound — without a restart.

Disk full is the real thing: the replica lives on a 3 MiB tmpfs mounted for the test and a ballast
file fills it, so SQLite meets the kernel's ENOSPC on its own WAL writes (chosen over
``PRAGMA max_page_count``, which only caps the main file and never exercises the WAL or ``-shm``
paths; the test is skipped where mounting is refused, i.e. without root). I/O errors are injected at
the file-descriptor level: the replica's open WAL descriptors are swapped (``dup2``) for a read-only
``/dev/null`` so every write fails with EBADF and every read comes back short — SQLite's own
SQLITE_IOERR path — then swapped back, as a disk that recovers would be.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from edge.replica.integrity import check
from tests.edge.conftest import STORE, TOKENS
from tests.edge.served import serve_edge
from tests.support.keepalive import KeepAlive
from tests.support.small_fs import fill, free_space, small_filesystem

STAFF = {"Authorization": f"Bearer {TOKENS['staff']}"}
JSON = {"Content-Type": "application/json"}
MAX_SALES = 400


def _sale(n: int) -> bytes:
    ref = f"till-{n:06d}-" + "x" * 40
    return b'{"lines":[{"sku":"85123A","qty":1}],"payment_ref":"' + ref.encode() + b'"}'


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


def _stock(url: str) -> int:
    r = httpx.get(f"{url}/api/v1/stock/85123A", headers=STAFF, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["on_hand"])


def test_disk_full_is_a_503_then_the_node_sells_again_once_space_returns(tmp_path: Path) -> None:
    with (
        small_filesystem(tmp_path / "disk", size_kib=3 * 1024) as disk,
        serve_edge(disk, timeout_keep_alive=60) as (url, node),
    ):
        with KeepAlive(url, STAFF) as conn:
            assert conn.send("POST", "/api/v1/sales", _sale(0), JSON).status == 201
            stock_before = _stock(url)
            fill(disk)
            sold, answer = 0, None
            for n in range(1, MAX_SALES):  # the WAL may still hold a few free frames: sell until it is full
                answer = conn.send("POST", "/api/v1/sales", _sale(n), JSON)
                assert answer.status in (201, 503), answer.body[:300]
                if answer.status == 503:
                    break
                sold += 1
            assert answer is not None and answer.status == 503, (
                f"{MAX_SALES} sales on a full disk all succeeded"
            )
            assert answer.content_type == "application/json"
            detail = answer.json()["detail"]
            assert "disk full" in detail and "free space" in detail, detail
            assert conn.still_open()

            health = conn.send("GET", "/health").json()
            assert health["status"] == "degraded", health
            assert health["storage"]["fault"] == "disk_full" and health["storage"]["since"], health
            metrics = conn.send("GET", "/metrics").body.decode()
            assert _metric(metrics, 'vitrine_edge_storage_faults_total{kind="disk_full"}') >= 1
            assert _metric(metrics, "vitrine_edge_storage_degraded") == 1
            assert _metric(metrics, 'vitrine_edge_rejected_requests_total{status="503"}') >= 1
            again = conn.send("POST", "/api/v1/sales", _sale(MAX_SALES), JSON)
            assert again.status == 503, "still full: still refused"

            free_space(disk)
            assert conn.send("POST", "/api/v1/sales", _sale(MAX_SALES + 1), JSON).status == 201
            health = conn.send("GET", "/health").json()
            assert health["status"] == "ok" and health["storage"]["fault"] is None, health
            metrics = conn.send("GET", "/metrics").body.decode()
            assert _metric(metrics, "vitrine_edge_storage_degraded") == 0
        assert _stock(url) == stock_before - sold - 1, "a refused sale must leave no trace"
        report = check(node.replica.reader(), STORE)
        assert report.ok, report.problems


@contextmanager
def _failing_wal(db: Path) -> Iterator[int]:
    """Every open descriptor of ``db``'s WAL now points at a read-only /dev/null; restored on exit."""
    wal = str(db) + "-wal"
    fds = [int(fd) for fd in os.listdir("/proc/self/fd") if _target(fd) == wal]
    assert fds, "the replica has no open WAL descriptor"
    saved = {fd: os.dup(fd) for fd in fds}
    broken = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in fds:
            os.dup2(broken, fd)
        yield len(fds)
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(broken)


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_io_errors_are_a_503_with_health_degraded_and_recover(tmp_path: Path) -> None:
    with serve_edge(tmp_path, timeout_keep_alive=60) as (url, node), KeepAlive(url, STAFF) as conn:
        assert conn.send("POST", "/api/v1/sales", _sale(0), JSON).status == 201
        stock_before = _stock(url)
        with _failing_wal(node.replica.path):
            answer = conn.send("POST", "/api/v1/sales", _sale(1), JSON)
            assert answer.status == 503, answer.body[:300]
            assert answer.content_type == "application/json"
            assert "io error" in answer.json()["detail"], answer.body
            assert conn.still_open()
            health = conn.send("GET", "/health")
            assert health.status == 200, health.body[:300]
            assert health.json()["status"] == "degraded"
            assert health.json()["storage"]["fault"] == "io_error"
            metrics = conn.send("GET", "/metrics")
            assert metrics.status == 200
            assert _metric(metrics.body.decode(), 'vitrine_edge_storage_faults_total{kind="io_error"}') >= 1
        assert conn.send("POST", "/api/v1/sales", _sale(2), JSON).status == 201
        assert conn.send("GET", "/health").json()["status"] == "ok"
        assert _stock(url) == stock_before - 1
        report = check(node.replica.reader(), STORE)
        assert report.ok, report.problems
