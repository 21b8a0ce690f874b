"""Cycle-count sessions and loss prevention, on a fake clock."""

from __future__ import annotations

import pytest

from drivers import epc
from drivers.counting import CountLine, CountSession
from drivers.errors import DriverError
from drivers.loss_prevention import LossPrevention
from drivers.rfid.events import TagRead
from drivers.tags import TagDeparted, TagProcessor, TagTimers

GTIN_A = "80614141123458"
GTIN_B = "00846632286210"
ZONES = {"r1": {1: "shelf-a", 2: "backroom", 3: "exit"}}


def sgtin(gtin: str, serial: int) -> str:
    return epc.encode_sgtin96(gtin, serial, 7 if gtin == GTIN_A else 12)


class Sales:
    """A hand-written RecentSales: (sku, at, units)."""

    def __init__(self) -> None:
        self.sales: list[tuple[str, float, int]] = []

    def units_sold(self, sku: str, since: float, until: float) -> int:
        return sum(n for s, at, n in self.sales if s == sku and since <= at <= until)


def test_count_session_counts_tags_read_during_it_per_sku_and_zone() -> None:
    proc = TagProcessor(ZONES, TagTimers(departure_after_s=60))
    proc.process("r1", [TagRead(sgtin(GTIN_A, 99), 1, -50, 0x3000)], 0.0)  # read before the count only
    session = CountSession("c1", started_at=10.0, sku_of=epc.gtin_of)
    reads = [TagRead(sgtin(GTIN_A, n), 1, -50, 0x3000) for n in range(3)]
    reads += [TagRead(sgtin(GTIN_B, n), 2, -50, 0x3000) for n in range(2)]
    reads += [TagRead(sgtin(GTIN_A, 7), 2, -50, 0x3000), TagRead("E2004074850A0103163070E1", 1, -50, 0x3000)]
    for t in (10.0, 11.0, 12.0):
        proc.process("r1", reads, t)
    count = session.finish(20.0, proc.snapshot())
    assert count.lines == (
        CountLine(GTIN_B, "backroom", 2),
        CountLine(GTIN_A, "backroom", 1),
        CountLine(GTIN_A, "shelf-a", 3),
    )
    assert count.quantity(GTIN_A) == 4 and count.quantity(GTIN_A, "shelf-a") == 3
    assert count.unresolved_epcs == ("E2004074850A0103163070E1",)
    with pytest.raises(DriverError, match="already finished"):
        session.finish(21.0, [])


def test_count_session_limited_to_zones() -> None:
    proc = TagProcessor(ZONES)
    proc.process("r1", [TagRead(sgtin(GTIN_A, 1), 1, -50, 0), TagRead(sgtin(GTIN_A, 2), 2, -50, 0)], 1.0)
    count = CountSession("c2", 0.0, epc.gtin_of, zones={"backroom"}).finish(2.0, proc.snapshot())
    assert count.lines == (CountLine(GTIN_A, "backroom", 1),)


def test_exit_departure_without_a_sale_raises_one_alert() -> None:
    sales = Sales()
    lp = LossPrevention({"exit"}, sales, epc.gtin_of, sale_window_s=600)
    tag = sgtin(GTIN_A, 5)
    alerts = lp.check([TagDeparted(tag, "exit", 105.0, 100.0)])
    assert len(alerts) == 1 and alerts[0].sku == GTIN_A and alerts[0].at == 100.0
    assert lp.check([TagDeparted(tag, "exit", 205.0, 200.0)]) == []  # same EPC, same window: once


def test_sales_cover_exits_unit_for_unit() -> None:
    sales = Sales()
    sales.sales.append((GTIN_A, 90.0, 2))
    lp = LossPrevention({"exit"}, sales, epc.gtin_of, sale_window_s=600)
    events = [TagDeparted(sgtin(GTIN_A, n), "exit", 100.0 + n, 95.0 + n) for n in range(3)]
    alerts = lp.check(events)
    assert [a.epc for a in alerts] == [sgtin(GTIN_A, 2)]


def test_old_sales_and_non_exit_departures() -> None:
    sales = Sales()
    sales.sales.append((GTIN_A, 0.0, 1))
    lp = LossPrevention({"exit"}, sales, epc.gtin_of, sale_window_s=60)
    assert lp.check([TagDeparted(sgtin(GTIN_A, 1), "shelf-a", 100.0, 95.0)]) == []
    assert len(lp.check([TagDeparted(sgtin(GTIN_A, 1), "exit", 100.0, 95.0)])) == 1  # sale too old


def test_unknown_epc_leaving_is_an_alert() -> None:
    lp = LossPrevention({"exit"}, Sales(), epc.gtin_of)
    alerts = lp.check([TagDeparted("E2004074850A0103163070E1", "exit", 1.0, 1.0)])
    assert alerts[0].sku is None and "unknown" in alerts[0].reason
