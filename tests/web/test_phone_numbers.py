"""Phone numbers in one form (E.164, through the ``phonenumbers`` library) on the edge and the hub:
the number a person types, spaced or national, finds the customer the hub stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.customers import normalise_identity
from sync.phone import InvalidPhone, canonical_phone
from tests.web.harness import STAFF_TOKEN, cloud_ops, place_click_collect, running_edge

HUB_FORM = "+33612345678"


@pytest.mark.parametrize("typed", ["+33 6 12 34 56 78", "06 12 34 56 78", "+33 (0)6-12-34-56-78", HUB_FORM])
def test_every_typed_form_is_the_hub_form(typed: str) -> None:
    assert canonical_phone(typed) == HUB_FORM
    assert normalise_identity("phone", typed) == HUB_FORM


def test_not_a_phone_number_is_refused() -> None:
    for bad in ("12", "hello", "+33 6 12"):
        with pytest.raises(InvalidPhone):
            canonical_phone(bad)


def test_hand_over_on_a_spaced_phone_number(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        cloud_ops(
            edge,
            (
                "customer.upsert",
                {"customer_id": "c-hub-1", "fields": {"name": "Inès Roux", "phone": HUB_FORM}},
            ),
        )
        place_click_collect(edge, "CC-PHONE", "c-hub-1", [("85123A", 1)])
        with edge.api(STAFF_TOKEN) as client:
            assert client.post("/api/v1/orders/CC-PHONE/pick").status_code == 200
            wrong = client.post("/api/v1/orders/CC-PHONE/collect", json={"customer": "+33 6 99 99 99 99"})
            assert wrong.status_code == 409
            done = client.post("/api/v1/orders/CC-PHONE/collect", json={"customer": "+33 6 12 34 56 78"})
            assert done.status_code == 200, done.text
            enrolled = client.post("/api/v1/customers", json={"name": "Léo Petit", "phone": "07 11 22 33 44"})
            assert enrolled.status_code == 201, enrolled.text
            found = client.get(
                "/api/v1/customers/lookup", params={"kind": "phone", "value": "+33 7 11 22 33 44"}
            )
            assert found.status_code == 200 and found.json()["phone"] == "+33711223344"
