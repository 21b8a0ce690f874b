"""Bar charts of the hub's reports, drawn as server-rendered SVG from the very rows the table and
the CSV show: what each report charts, and the geometry of its bars (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 110
BAR_HEIGHT = 22
GAP = 8


@dataclass(frozen=True)
class ReportChart:
    name: str  # the report (cloud.reports.REPORTS)
    title: str
    label_keys: tuple[str, ...]  # the columns naming a bar
    value_key: str  # the column the bar measures
    unit: str  # money (cents) | rate (0-1) | number


CHARTS: tuple[ReportChart, ...] = (
    ReportChart("revenue_by_channel", "Revenue per channel", ("channel",), "revenue_cents", "money"),
    ReportChart("revenue_by_store", "Revenue per store", ("store",), "revenue_cents", "money"),
    ReportChart("average_basket", "Average basket", ("store", "channel"), "avg_basket_cents", "money"),
    ReportChart(
        "visit_frequency",
        "Visit frequency (visit days per identified customer)",
        ("store",),
        "avg_visits_per_customer",
        "number",
    ),
    ReportChart("loyalty_rate", "Loyalty rate per store", ("store",), "loyalty_rate", "rate"),
    ReportChart("return_rate", "Return rate per channel (items)", ("channel",), "return_rate", "rate"),
    ReportChart("stock_accuracy", "Stock accuracy per store", ("store",), "accuracy", "rate"),
)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | int  # the row's figure, unrounded, as in the JSON and the CSV
    text: str  # the figure as people read it
    y: int
    width: float


def display(unit: str, value: float) -> str:
    if unit == "money":
        return f"{value / 100:,.2f}"
    if unit == "rate":
        return f"{value * 100:.1f} %"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def bars(chart: ReportChart, rows: list[dict[str, Any]]) -> list[Bar]:
    values: list[float | int] = [row.get(chart.value_key) or 0 for row in rows]
    top = max([abs(v) for v in values] + [0.0])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    return [
        Bar(
            label=" · ".join(str(row.get(k, "")) for k in chart.label_keys),
            value=value,
            text=display(chart.unit, float(value)),
            y=i * (BAR_HEIGHT + GAP),
            width=round(span * abs(value) / top, 1) if top else 0.0,
        )
        for i, (row, value) in enumerate(zip(rows, values, strict=True))
    ]


def height(count: int) -> int:
    return max(count, 1) * (BAR_HEIGHT + GAP)
