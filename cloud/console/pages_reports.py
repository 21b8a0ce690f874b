"""Reports page: a date range, then each report as a bar chart and a table drawn from the same rows,
with its CSV download (the admin API's ``/admin/v1/reports/{name}?from=&to=&format=csv``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from cloud import reports
from cloud.api.auth import hub_of
from cloud.console import charts
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, ConsoleUser
from cloud.console.render import page
from cloud.errors import InvalidInput
from cloud.storage import schema as s

router = APIRouter(prefix="/console", include_in_schema=False)
Viewer = Annotated[ConsoleUser, Depends(page_role(ADMIN, ANALYST))]
DEFAULT_DAYS = 30
Day = Annotated[str | None, Query(max_length=10)]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, user: Viewer, date_from: Annotated[Day, Query(alias="from")] = None,
    date_to: Annotated[Day, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    today = datetime.now(UTC).date()
    first = date_from or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    last = date_to or today.isoformat()
    try:
        first, last = reports.check_range(first, last)
    except InvalidInput as err:
        return page(request, "reports.html", user, 422, start=first, end=last, sections=[], error=str(err))
    sections: list[dict[str, Any]] = []
    with hub_of(request).tx() as conn:
        # the days the hub holds sales for (ix_sales_day); an imported history may lie years back
        oldest, newest = conn.execute(select(func.min(s.sales.c.day), func.max(s.sales.c.day))).one()
        span = (str(oldest)[:10], str(newest)[:10]) if oldest and newest else None
        for chart in charts.CHARTS:
            rows = reports.run(conn, chart.name, first, last)
            sections.append(
                {
                    "chart": chart,
                    "rows": rows,
                    "columns": list(rows[0]) if rows else [],
                    "bars": charts.bars(chart, rows),
                    "height": charts.height(len(rows)),
                    "csv": f"/admin/v1/reports/{chart.name}?from={first}&to={last}&format=csv",
                }
            )
    return page(
        request, "reports.html", user, start=first, end=last, sections=sections, error=None,
        geometry=charts, span=span,
    )  # fmt: skip
