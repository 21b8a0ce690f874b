"""Interactive API docs that work with no internet: Swagger UI's files from the ``swagger-ui-py``
package (Apache-2.0, ships the upstream ``swagger-ui-dist`` build), served by the app itself.

Framework-free: the hub and the edge route ``GET /docs`` and ``GET /docs/{name}`` to :func:`answer`.
The page has no inline script or style, so it runs under a strict Content-Security-Policy
(``script-src 'self'``); Swagger UI's validator badge (an outside request) is turned off.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

PAGE = "/docs"
ASSETS = "/docs"
INIT = "/docs/init.js"
# The files of the package's static folder the page loads, by media type (nothing else is served).
FILES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

# Sent with every docs response: everything from the app itself, no inline script or style.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
}

INIT_JS = """\
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
});
"""


def assets_dir() -> Path:
    """The folder holding Swagger UI's built files (inside the installed ``swagger_ui`` package)."""
    return Path(str(resources.files("swagger_ui") / "static"))


def page_html(title: str, openapi_url: str = "/openapi.json") -> str:
    t, u = html.escape(title), html.escape(openapi_url)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{t} — API</title>\n"
        f'<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">\n'
        f'<link rel="icon" href="{ASSETS}/favicon-32x32.png">\n'
        f'<script src="{ASSETS}/swagger-ui-bundle.js" defer></script>\n'
        f'<script src="{ASSETS}/swagger-ui-standalone-preset.js" defer></script>\n'
        f'<script src="{INIT}" defer></script>\n'
        f'</head>\n<body>\n<div id="swagger-ui" data-openapi="{u}"></div>\n</body>\n</html>\n'
    )


@dataclass(frozen=True)
class Answer:
    media_type: str
    body: bytes
    cacheable: bool  # the packaged files never change while the process runs


def answer(name: str, title: str, openapi_url: str = "/openapi.json") -> Answer | None:
    """What ``GET /docs`` (``name`` empty) or ``GET /docs/<name>`` returns; None: not found."""
    if name in ("", "index.html"):
        return Answer("text/html; charset=utf-8", page_html(title, openapi_url).encode(), False)
    if name == "init.js":
        return Answer("text/javascript; charset=utf-8", INIT_JS.encode(), True)
    media = FILES.get(name)
    if media is None:
        return None
    return Answer(media, (assets_dir() / name).read_bytes(), True)
