"""Hostile input against EVERY operation of both OpenAPIs (issue #14, point 5), property-based.

For each operation schemathesis draws a well-formed request (so the body gets past the shape and into
the values), then hypothesis corrupts it with one hostile class: a lone surrogate (as a JSON ``\\udXXX``
escape) in a value or a key, ``NaN``/``Infinity``/``1e309``, a boolean or text where an int is
expected, a huge int (past int64, or past Python's digit limit), invalid UTF-8 bytes in the body, a
hostile path or query parameter (``%ED%A0%80``, ``%FF``, ...), or a wrong content type. Every request is
sent with the operation's real credentials on one keep-alive connection to the real app under uvicorn;
no answer may be a 5xx, the server must keep the connection open, and ``/health`` must answer on it.

The example count per operation is bounded (``EXAMPLES``) so both apps together take well under a
minute on two cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from cloud.api import create_app as create_hub_app
from cloud.localpg import LocalPostgres
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from edge.node import EdgeNode
from edge.replica.integrity import check
from tests.cloud.helpers import ADMIN, SHOP, seed
from tests.edge.conftest import STORE, TOKENS
from tests.edge.served import serve_edge
from tests.support.keepalive import KeepAlive
from tests.support.server import served

EXAMPLES = 8
# Drawing the first example of an operation can take seconds on a busy machine: uvicorn's default
# 5 s idle timeout would then close the connection between two requests, which is not a fault.
SERVE = {"timeout_keep_alive": 120}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Raw:
    """Bytes written into the body as they are: a JSON token Python would not emit, or invalid UTF-8."""

    data: bytes


NUMBER_TOKENS = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e309",
    b"-1e400",
    b"9" * 5000,
    b"123456789012345678901234567890",
    b"-9223372036854775809",
    b"true",
    b"false",
    b"1.5",
    b'"7"',
    b"null",
]
INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80abc"]
PARAM_TOKENS = [
    "%ED%A0%80",
    "%FF",
    "a%C3%28",
    "NaN",
    "Infinity",
    "1e309",
    "9" * 5000,
    "true",
    "%25",
    "_",
    "-1",
]
CONTENT_TYPES = [
    "text/plain",
    "text/csv",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin-1",
    "application/vnd.vitrine+json",
    "application/octet-stream",
    "",
]
surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
hostile_text = st.builds(
    lambda a, s, b: a + s + b, st.sampled_from(["", "a", "SKU-"]), surrogates, st.just("")
)
hostile_value = st.one_of(
    hostile_text,
    st.sampled_from(NUMBER_TOKENS).map(Raw),
    st.sampled_from(INVALID_UTF8).map(lambda b: Raw(b'"x' + b + b'"')),
    st.sampled_from(["\x00", "%", "_", "x" * 5000]),
    st.integers(min_value=2**63, max_value=2**80),
)


def dump(value: Any) -> bytes:
    """JSON bytes of ``value``, with :class:`Raw` pieces inserted verbatim (surrogates stay escapes)."""
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, dict):
        return b"{" + b",".join(dump(str(k)) + b":" + dump(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(dump(v) for v in value) + b"]"
    return json.dumps(value).encode("ascii")


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += leaf_paths(item, (*prefix, index))
    return paths


def replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replace(value[path[0]], path[1:], new)
    return copy


@dataclass
class Request:
    method: str
    target: str
    body: bytes | None
    content_type: str | None

    def describe(self) -> str:
        body = self.body[:120] if self.body is not None else None
        return f"{self.method} {self.target[:160]} [{self.content_type}] {body!r}"


def hostile_request(case: schemathesis.Case, data: st.DataObject) -> Request:
    """``case`` corrupted with one hostile class drawn by hypothesis."""
    body: Any = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else {}
    path_params = {k: quote(str(v), safe="") for k, v in (case.path_parameters or {}).items()}
    query: list[tuple[str, str]] = []
    for key, value in (case.query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            query.append((key, json.dumps(item) if isinstance(item, bool) else str(item)))
    raw_query = ""
    content_type: str | None = "application/json"
    kind = data.draw(st.sampled_from(["value", "key", "utf8", "param", "content-type"]), label="kind")
    if kind == "value":
        path = data.draw(st.sampled_from(leaf_paths(body)), label="where")
        body = replace(body, path, data.draw(hostile_value, label="value"))
    elif kind == "key":
        key = data.draw(hostile_text, label="key")
        body = {**body, key: 1} if isinstance(body, dict) else {key: body}
    elif kind == "param":
        names = [("path", name) for name in path_params] + [("query", name) for name, _ in query]
        token = data.draw(st.sampled_from(PARAM_TOKENS), label="token")
        where = data.draw(st.sampled_from(names), label="param") if names else ("query", "q")
        if where[0] == "path":
            path_params[where[1]] = token
        else:
            query = [(k, v) for k, v in query if k != where[1]]
            raw_query = f"{quote(where[1])}={token}"
    elif kind == "content-type":
        content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content-type") or None
    encoded = dump(body) if case.body is not None or kind in ("value", "key", "utf8") else None
    if kind == "utf8" and encoded is not None:
        cut = data.draw(st.integers(0, len(encoded)), label="cut")
        encoded = encoded[:cut] + data.draw(st.sampled_from(INVALID_UTF8), label="bytes") + encoded[cut:]
    target = case.path
    for name, value in path_params.items():
        target = target.replace("{" + name + "}", value)
    parts = [p for p in (urlencode(query), raw_query) if p]
    if parts:
        target += "?" + "&".join(parts)
    return Request(case.method.upper(), target, encoded, content_type if encoded is not None else None)


class Attacker:
    """Sends hostile requests on one keep-alive connection and collects what went wrong."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.conn = KeepAlive(base_url)
        self.failures: list[str] = []
        self.statuses: dict[int, int] = {}

    def send(self, request: Request, headers: dict[str, str]) -> None:
        extra = {"Content-Type": request.content_type} if request.content_type else {}
        try:
            answer = self.conn.send(request.method, request.target, request.body, {**headers, **extra})
            self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
            if answer.status >= 500:
                self.failures.append(f"{request.describe()} -> {answer.status}: {answer.body[:200]!r}")
            elif not self.conn.still_open():
                self.failures.append(f"{request.describe()} -> {answer.status} but the connection was closed")
            elif self.conn.send("GET", "/health").status != 200:
                self.failures.append(f"{request.describe()} -> /health failed on the same connection")
        except (ConnectionError, OSError) as err:
            self.failures.append(f"{request.describe()} -> connection lost: {err!r}")
            self.conn.close()
            self.conn = KeepAlive(self.base_url)

    def attack(self, operation: Any, headers: dict[str, str]) -> None:
        @given(case=operation.as_strategy(GenerationMode.POSITIVE), data=st.data())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def attack(case: schemathesis.Case, data: st.DataObject) -> None:
            self.send(hostile_request(case, data), headers)

        attack()


def run_hostile(base_url: str, openapi: dict[str, Any], auth_for: Any) -> dict[int, int]:
    """Every operation of ``openapi``, EXAMPLES hostile requests each; returns the status histogram."""
    schema = schemathesis.openapi.from_dict(openapi)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"operation not loadable: {result.err()}"
        operations.append(result.ok())
    assert len(operations) >= 20
    attacker = Attacker(base_url)
    for operation in operations:
        attacker.attack(operation, auth_for(operation.path))
    attacker.conn.close()
    assert attacker.failures == [], "\n".join(attacker.failures[:30])
    return attacker.statuses


@pytest.fixture(scope="module")
def edge_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, EdgeNode]]:
    with serve_edge(tmp_path_factory.mktemp("hostile-edge"), **SERVE) as live:
        yield live


def test_edge_survives_hostile_input_on_every_operation(edge_url: tuple[str, EdgeNode]) -> None:
    url, node = edge_url
    with KeepAlive(url) as conn:
        openapi = json.loads(conn.send("GET", "/openapi.json").body)
    manager = {"Authorization": f"Bearer {TOKENS['manager']}"}
    statuses = run_hostile(url, openapi, lambda _path: manager)
    assert sum(n for status, n in statuses.items() if 400 <= status < 500) > 0, statuses
    report = check(node.replica.reader(), STORE)
    assert report.ok, report.problems


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hub_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hub on each backend: PostgreSQL refuses what SQLite stores (NUL in text, ints past int64)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile-hub') / 'cloud.db'}"
    else:
        pg: LocalPostgres = request.getfixturevalue("postgres")
        url = pg.create_database("cloud_hostile")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    app = create_hub_app(
        CloudSettings(
            database_url=url, admin_token="admin-secret-0123456789", shop_token="shop-secret-0123456789"
        )
    )
    with served(app, lifespan="off", **SERVE) as base, httpx.Client(base_url=base, timeout=30) as client:
        seed(client)
        yield base
    app.state.hub.engine.dispose()


def test_hub_survives_hostile_input_on_every_operation(hub_url: str) -> None:
    """Shop routes with the web-shop token, admin routes with the admin token, store routes with the
    admin token too (a store's token reaches only its own store id, so the fuzzed id needs admin)."""
    with KeepAlive(hub_url) as conn:
        openapi = json.loads(conn.send("GET", "/openapi.json").body)
    statuses = run_hostile(hub_url, openapi, lambda path: SHOP if path.startswith("/shop/") else ADMIN)
    assert sum(n for status, n in statuses.items() if 400 <= status < 500) > 0, statuses
