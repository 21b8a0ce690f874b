"""Property-based fuzzing of the whole OpenAPI (schemathesis) against the live app: zero 5xx."""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from edge.replica.integrity import check
from tests.edge.conftest import STORE, TOKENS, LiveServer

EXAMPLES_PER_OPERATION = 12


def test_no_server_errors_on_any_operation(live: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    session = requests.Session()
    failures: list[str] = []
    calls = 0
    statuses: dict[int, int] = {}
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"operation not loadable: {result.err()}"
        operations.append(result.ok())
    assert len(operations) >= 25
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy, role=st.sampled_from(["kiosk", "staff", "manager"]))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, role: str) -> None:
            nonlocal calls
            calls += 1
            response = case.call(
                base_url=live.url,
                session=session,
                headers={"Authorization": f"Bearer {TOKENS[role]}"},
                timeout=30,
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )

        run()
    session.close()
    assert calls >= len(operations) * 5
    assert statuses.get(200, 0) + statuses.get(201, 0) > 0, statuses
    assert failures == [], statuses
    report = check(live.node.replica.reader(), STORE)
    assert report.ok, report.problems
