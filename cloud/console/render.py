"""Rendering console pages: one Jinja2 environment, every page extends ``base.html`` with the nav
filtered for the signed-in user's role."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from cloud.console.identity import ConsoleUser
from cloud.console.nav import entries_for

HERE = Path(__file__).parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
ASSET_VERSION = "1"  # bump when a static file changes (cache busting)
MAX_FORM_BYTES = 64 * 1024

templates = Jinja2Templates(directory=TEMPLATE_DIR)


def page(
    request: Request, name: str, user: ConsoleUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render template ``name`` for ``user`` (None on the sign-in page)."""
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "nav": entries_for(user) if user else [],
            "here": request.url.path,
            "v": ASSET_VERSION,
            **context,
        },
        status_code=status_code,
    )


async def form_fields(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as {name: first value} (no multipart parser needed)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {key: values[0] for key, values in parse_qs(text, max_num_fields=50).items()}
