"""The hub compares instants, not their text: every instant it stores or is asked about is normalised
to one fixed-width UTC form (cloud/timefmt.py), so a price switches at the instant, whatever the form
of the time asked about (sub-second, offset)."""

from __future__ import annotations

import httpx

from tests.cloud.helpers import ADMIN, seed


def test_a_price_switch_at_midnight_holds_at_the_sub_second_boundary(client: httpx.Client) -> None:
    seed(client)
    r = client.post(
        "/admin/v1/price-lists",
        json={
            "name": "december",
            "effective_from": "2026-12-01T01:00:00+01:00",
            "prices": [{"sku": "MUG-1", "cents": 1200}],
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text

    def cents(at: str) -> int:
        answer = client.get("/admin/v1/prices/MUG-1", params={"at": at}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["cents"])

    assert cents("2026-11-30T23:59:59.999999Z") == 1000
    assert cents("2026-12-01T00:00:00Z") == 1200
    assert cents("2026-12-01T00:00:00.271419Z") == 1200
    assert cents("2026-12-01T00:30:00.5+01:00") == 1000  # 23:30:00.5 UTC
