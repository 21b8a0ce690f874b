"""Strict decoding of HTTP request input, shared by the edge and the hub APIs.

Both apps accept JSON and UTF-8 text bodies from clients they do not control. Python's decoders
are lenient where the apps are not: ``json.loads`` accepts ``NaN``/``Infinity`` and turns ``1e309``
into ``inf``, a ``\\ud800`` escape becomes a lone surrogate that no UTF-8 encoder (SQLite,
PostgreSQL, the JSON error response) can write back. This module refuses all of that at the door:

* :class:`StrictBodyMiddleware` (plain ASGI, no web framework imported) reads a JSON or text body
  before routing and answers 400 (bytes that are not UTF-8), 415 (a charset other than UTF-8) or
  422 (``NaN``/``Infinity``, a number out of the float range or with too many digits, nesting too
  deep, a lone surrogate) with ``{"detail": "<what is wrong and what to send instead>"}``. Other
  bodies pass untouched; an accepted body is replayed to the app byte for byte.
* :func:`json_safe` makes any value JSON- and UTF-8-serialisable (surrogates escaped as ``\\udXXX``,
  non-finite floats and bytes as text), so an error response that echoes input can always be built.

It lives in ``sync`` because both apps need the same rule and ``edge`` and ``cloud`` never import
each other; it imports nothing of ours.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Rejection:
    """Why a body was refused: the HTTP status and a message that says what to send instead."""

    status: int
    detail: str


class _Refused(ValueError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    match = _CHARSET.search(params)
    return media.strip().lower(), match.group(1).lower() if match else None


def _is_json(media: str) -> bool:
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_body(body: bytes, content_type: str | None) -> Rejection | None:
    """None when ``body`` may reach the app; the rejection otherwise. Only JSON (``application/json``,
    ``application/*+json``) and ``text/*`` bodies are checked; an empty body always passes."""
    media, charset = _media_type(content_type)
    if not body or not (_is_json(media) or media.startswith("text/")):
        return None
    if charset is not None and charset not in UTF8_CHARSETS:
        return Rejection(415, f"charset {charset!r} is not accepted: send the body as UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        return Rejection(
            400,
            f"the request body is not valid UTF-8 (byte 0x{body[err.start]:02x} at offset {err.start}): "
            "save or encode it as UTF-8 and send it again",
        )
    if not _is_json(media):
        return None
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except _Refused as err:
        return Rejection(422, err.detail)
    except json.JSONDecodeError:
        return None  # plain syntax errors: the framework's own 422 names the position
    except ValueError:  # an integer with more digits than Python converts (sys.get_int_max_str_digits)
        return Rejection(422, "a number in the body has too many digits: send at most 4300")
    except RecursionError:
        return Rejection(422, "the JSON body is nested too deeply: flatten it")
    # UTF-8 decoding already refused encoded surrogates: only a \uD800-\uDFFF escape can make one
    where = _first_surrogate(document) if _SURROGATE_ESCAPE.search(text) else None
    if where is not None:
        return Rejection(
            422,
            f"{where} contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape): "
            "send valid Unicode text",
        )
    return None


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number: send a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range: send a finite number (|x| < 1.8e308)")
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_surrogate(document: Any) -> str | None:
    """The location (``body.lines[0].sku``) of the first string or key holding a lone surrogate."""
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    return f"a key of {where}"
                stack.append((f"{where}.{key[:40]}", item))  # a location, not an echo of the body
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
    return None


def json_safe(value: Any) -> Any:
    """``value`` with every string UTF-8-encodable, every float finite and every leaf a JSON type:
    lone surrogates become ``\\udXXX`` text, ``inf``/``nan`` and bytes become strings, unknown objects
    their ``str``. Containers are rebuilt (tuples become lists); ints, bools and None pass."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if not _has_surrogate(value) else value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {str(json_safe(str(k))): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    return json_safe(str(value))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, raw in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(raw).decode("latin-1")
    return None


class StrictBodyMiddleware:
    """ASGI middleware applying :func:`check_body` to every HTTP request before the app sees it.

    ``on_reject(status)`` is called for each refused request (e.g. to count it in a metric)."""

    def __init__(self, app: AsgiApp, on_reject: Callable[[int], None] | None = None) -> None:
        self.app = app
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = _header(scope, b"content-type") if scope["type"] == "http" else None
        media, _ = _media_type(content_type)
        if not (_is_json(media) or media.startswith("text/")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        rejection = check_body(body, content_type)
        if rejection is not None:
            if self.on_reject is not None:
                self.on_reject(rejection.status)
            await _send_json(send, rejection.status, {"detail": rejection.detail})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _send_json(send: Send, status: int, document: dict[str, Any]) -> None:
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
